import { configurationErrorOf } from '../testing/configuration-error';
import { defaultServePrefix, portInUse, portInUseMessage, serveRunArgs, serveSettings, serveUrl } from './serve-plan';

describe('serveSettings', () => {
  it('defaults to port 8888 on 127.0.0.1 under /notebook/<user>/<project>/', () => {
    expect(serveSettings({}, 'Jane.Doe', 'r-studio')).toEqual({ port: 8888, host: '127.0.0.1', nbPrefix: '/notebook/jane-doe/r-studio/' });
    expect(defaultServePrefix('root', 'base')).toBe('/notebook/root/base/');
  });

  it('takes port, host and prefix from the options', () => {
    expect(serveSettings({ port: 9999, host: '0.0.0.0', nbPrefix: '/notebook/team/nb' }, 'me', 'base')).toEqual({
      port: 9999,
      host: '0.0.0.0',
      nbPrefix: '/notebook/team/nb/',
    });
  });

  it.each([0, 70000, 8888.5])('rejects port %p', (port) => {
    expect(configurationErrorOf(() => serveSettings({ port }, 'me', 'base')).message).toBe(`port ${port} is not a TCP port: pass --port=<1-65535>`);
  });
});

describe('serveRunArgs and serveUrl', () => {
  it('publish the chosen port and set NB_PREFIX; the URL is what to open', () => {
    const settings = serveSettings({}, 'me', 'minimal');
    const args = serveRunArgs({ image: 'minimal-notebook-cpu:content-1', name: 'kf-serve-minimal-cpu-42', task: 'minimal:serve-cpu', settings });
    expect(args).toEqual([
      'run',
      '--detach',
      '--name',
      'kf-serve-minimal-cpu-42',
      '--label',
      'io.kubeflow-images.role=serve',
      '--label',
      'io.kubeflow-images.target=minimal:serve-cpu',
      '--publish',
      '127.0.0.1:8888:8888',
      '--env',
      'NB_PREFIX=/notebook/me/minimal/',
      'minimal-notebook-cpu:content-1',
    ]);
    expect(serveUrl(settings)).toBe('http://127.0.0.1:8888/notebook/me/minimal/');
    expect(serveUrl(serveSettings({ host: '0.0.0.0', port: 8890 }, 'me', 'minimal'))).toBe('http://localhost:8890/notebook/me/minimal/');
  });

  it('asks for GPUs only when told', () => {
    const settings = serveSettings({}, 'me', 'machine-learning');
    expect(serveRunArgs({ image: 'i', name: 'n', task: 't', settings })).not.toContain('--gpus');
    expect(serveRunArgs({ image: 'i', name: 'n', task: 't', settings, gpus: 'all' }).slice(-3)).toEqual(['--gpus', 'all', 'i']);
  });
});

describe('portInUse', () => {
  it('recognises docker and podman messages for a taken port', () => {
    expect(portInUse('docker: Error response from daemon: driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:8888 failed: port is already allocated.')).toBe(true);
    expect(portInUse('Error: rootlessport listen tcp 127.0.0.1:8888: bind: address already in use')).toBe(true);
    expect(portInUse('Error: No such image')).toBe(false);
    expect(portInUseMessage(serveSettings({}, 'me', 'base'), 'cpu')).toBe(
      'port 8888 on 127.0.0.1 is already in use (another notebook?): stop it, or pass --port=<free port> to serve-cpu',
    );
  });
});
