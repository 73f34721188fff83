import { configurationErrorOf } from '../testing/configuration-error';
import { fakeCli } from '../engine/fake-cli.test-helper';
import { placeImage, planPlacement, transferArgs } from './image-placement';

const IMAGE = 'base-notebook-cpu:content-abc';
const MISSING = { code: 1, stderr: 'Error: No such image' };

describe('planPlacement', () => {
  it('uses the image where it is, copies it from the other engine, or leaves it to a pull', () => {
    expect(planPlacement('docker', true, true)).toEqual({ kind: 'present' });
    expect(planPlacement('docker', false, true)).toEqual({ kind: 'transfer', from: 'podman', to: 'docker' });
    expect(planPlacement('podman', false, true)).toEqual({ kind: 'transfer', from: 'docker', to: 'podman' });
    expect(planPlacement('docker', false, false)).toEqual({ kind: 'pull' });
  });
});

describe('transferArgs', () => {
  it('pushes into the docker daemon or pulls out of it, with podman', () => {
    expect(transferArgs({ from: 'podman', to: 'docker' }, IMAGE)).toEqual(['push', '--quiet', IMAGE, `docker-daemon:${IMAGE}`]);
    expect(transferArgs({ from: 'docker', to: 'podman' }, IMAGE)).toEqual(['pull', '--quiet', `docker-daemon:${IMAGE}`]);
  });
});

describe('placeImage', () => {
  it('does nothing when docker has the image', async () => {
    const docker = fakeCli('docker', { 'image inspect': { stdout: 'sha256:1\n' } });
    const podman = fakeCli('podman');
    const log: string[] = [];
    expect(await placeImage(IMAGE, docker, podman, podman, (l) => log.push(l))).toEqual({ kind: 'present' });
    expect(podman.calls).toEqual([]);
    expect(log).toEqual([]);
  });

  it('copies an image podman built into docker, and says so', async () => {
    const docker = fakeCli('docker', { 'image inspect': MISSING });
    const podman = fakeCli('podman', { 'image inspect': { stdout: 'abc\n' } });
    const log: string[] = [];
    await placeImage(IMAGE, docker, podman, podman, (l) => log.push(l));
    expect(podman.calls.at(-1)).toEqual(['push', '--quiet', IMAGE, `docker-daemon:${IMAGE}`]);
    expect(log).toEqual([`${IMAGE} is in podman's storage but not docker's: copying it (podman push --quiet ${IMAGE} docker-daemon:${IMAGE})`]);
  });

  it('pulls from docker into podman and gives the copy the recorded name', async () => {
    const podman = fakeCli('podman', { 'image inspect': MISSING, pull: { stdout: 'f00d\n' } });
    const docker = fakeCli('docker', { 'image inspect': { stdout: 'sha256:1' } });
    await placeImage(IMAGE, podman, docker, podman, () => undefined);
    expect(podman.calls.slice(-2)).toEqual([['pull', '--quiet', `docker-daemon:${IMAGE}`], ['tag', 'f00d', IMAGE]]);
  });

  it('leaves an image neither engine has to the runtime (a pushed image is pulled)', async () => {
    const docker = fakeCli('docker', { 'image inspect': MISSING });
    const podman = fakeCli('podman', { 'image inspect': { code: null, spawnError: 'spawn podman ENOENT' } });
    const log: string[] = [];
    expect(await placeImage(IMAGE, docker, podman, podman, (l) => log.push(l))).toEqual({ kind: 'pull' });
    expect(log[0]).toMatch(/in neither docker's nor podman's storage: docker will pull it/);
  });

  it('fails with the manual command when the copy fails', async () => {
    const docker = fakeCli('docker', { 'image inspect': MISSING });
    const podman = fakeCli('podman', { 'image inspect': { stdout: 'abc' }, push: { code: 125, stderr: 'Error: cannot connect to the Docker daemon\n' } });
    const error = await placeImage(IMAGE, docker, podman, podman, () => undefined).catch((e) => e);
    expect(configurationErrorOf(() => { throw error; }).message).toBe(
      `cannot copy ${IMAGE} from podman to docker (Error: cannot connect to the Docker daemon): copy it yourself (podman push --quiet ${IMAGE} docker-daemon:${IMAGE}) or set IMAGE_RUNTIME=podman`,
    );
  });

  it('restores an image neither engine has into podman, then copies it to docker', async () => {
    let restored = false;
    const docker = fakeCli('docker', { 'image inspect': MISSING });
    const podman = fakeCli('podman', { 'image inspect': () => (restored ? { stdout: 'abc\n' } : MISSING) });
    const log: string[] = [];
    const placement = await placeImage(IMAGE, docker, podman, podman, (l) => log.push(l), async () => {
      restored = true;
      return 'restored' as const;
    });
    expect(placement).toEqual({ kind: 'transfer', from: 'podman', to: 'docker' });
    expect(podman.calls.at(-1)).toEqual(['push', '--quiet', IMAGE, `docker-daemon:${IMAGE}`]);
    expect(log.join('\n')).not.toMatch(/will pull it/);
  });

  it('fails when a restore leaves the image in neither engine', async () => {
    const docker = fakeCli('docker', { 'image inspect': MISSING });
    const podman = fakeCli('podman', { 'image inspect': MISSING });
    const error = await placeImage(IMAGE, docker, podman, podman, () => undefined, async () => 'restored' as const).catch((e) => e);
    expect(configurationErrorOf(() => { throw error; }).message).toMatch(`${IMAGE} was restored, yet neither docker nor podman lists it`);
  });

  it('leaves an image the registry has to the runtime\'s pull', async () => {
    const docker = fakeCli('docker', { 'image inspect': MISSING });
    const podman = fakeCli('podman', { 'image inspect': MISSING });
    expect(await placeImage(IMAGE, docker, podman, podman, () => undefined, async () => 'in-registry' as const)).toEqual({ kind: 'pull' });
  });
});
