import { configurationErrorOf } from '../testing/configuration-error';
import {
  containerName,
  defaultTestPrefix,
  normalizeNbPrefix,
  notebookUrl,
  parsePublishedPort,
  runArgs,
} from './container-args';

describe('NB_PREFIX', () => {
  it('is Kubeflow-shaped by default, one per project and stream', () => {
    expect(defaultTestPrefix('machine-learning', 'gpu')).toBe('/notebook/kf-test/machine-learning-gpu/');
  });

  it('gets its trailing slash', () => {
    expect(normalizeNbPrefix('/notebook/ns/name')).toBe('/notebook/ns/name/');
    expect(normalizeNbPrefix('/')).toBe('/');
  });

  it.each(['notebook/ns/x/', '/notebook//x/', '/a b/', '/x?y=1'])('rejects %j', (prefix) => {
    expect(configurationErrorOf(() => normalizeNbPrefix(prefix)).message).toMatch(/is not a URL path like \/notebook\/<namespace>\/<name>\//);
  });
});

describe('containerName', () => {
  it('says role, project and stream, and is unique per run', () => {
    expect(containerName('test', 'r-studio', 'cpu', '123-abc')).toBe('kf-test-r-studio-cpu-123-abc');
    expect(containerName('serve', 'My_Image', 'gpu', '9')).toBe('kf-serve-my-image-gpu-9');
  });
});

describe('runArgs', () => {
  const base = { image: 'minimal-notebook-cpu:content-1', name: 'kf-test-minimal-cpu-1', role: 'test' as const, target: 'minimal:test-cpu', nbPrefix: '/notebook/ns/n/' };

  it('runs detached, labelled, NB_PREFIX set, with a runtime-picked free port on the host address', () => {
    expect(runArgs({ ...base, host: '127.0.0.1' })).toEqual([
      'run',
      '--detach',
      '--name',
      'kf-test-minimal-cpu-1',
      '--label',
      'io.kubeflow-images.role=test',
      '--label',
      'io.kubeflow-images.target=minimal:test-cpu',
      '--publish',
      '127.0.0.1::8888',
      '--env',
      'NB_PREFIX=/notebook/ns/n/',
      'minimal-notebook-cpu:content-1',
    ]);
  });

  it('never removes the container by itself (its log must outlive a crash)', () => {
    expect(runArgs({ ...base, host: '127.0.0.1' })).not.toContain('--rm');
  });

  it('publishes a chosen port, brackets IPv6, and passes --gpus and extra env before the image', () => {
    const args = runArgs({ ...base, host: '::1', hostPort: 8890, gpus: 'all', env: { A: '1' } });
    expect(args).toContain('[::1]:8890:8888');
    expect(args.slice(-6)).toEqual(['NB_PREFIX=/notebook/ns/n/', '--env', 'A=1', '--gpus', 'all', 'minimal-notebook-cpu:content-1']);
  });
});

describe('parsePublishedPort', () => {
  it('reads docker and podman answers', () => {
    expect(parsePublishedPort('127.0.0.1:49153\n')).toBe(49153);
    expect(parsePublishedPort('0.0.0.0:32768\n[::]:32768\n')).toBe(32768);
    expect(parsePublishedPort('')).toBeNull();
  });
});

describe('notebookUrl', () => {
  it('builds the address to open', () => {
    expect(notebookUrl('127.0.0.1', 8888, '/notebook/me/base/')).toBe('http://127.0.0.1:8888/notebook/me/base/');
    expect(notebookUrl('0.0.0.0', 8888, '/')).toBe('http://localhost:8888/');
    expect(notebookUrl('::1', 9000, '/x/')).toBe('http://[::1]:9000/x/');
  });
});
