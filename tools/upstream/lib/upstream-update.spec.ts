import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeRegistry } from '@kubeflow-images/plugin-lib/registry/fake-registry.test-helper';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { CPU_UPSTREAM_KEY, parseUpstreamLock, type UpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';
import { readScannedImage } from './scanned-image';
import { runUpstreamUpdate, type UpdateInputs } from './upstream-update';

const REPO = 'jupyter/datascience-notebook';
const GPU_PIN = 'a'.repeat(40);
const TAGS = `${GPU_PIN}\trefs/tags/v1.10_cuda-12.9_ubuntu-24.04\n${'b'.repeat(40)}\trefs/tags/v1.11_cuda-12.9_ubuntu-24.04\n`;
const build = (n: number) => ({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${String(n).repeat(64)}`, size: 1 }, layers: [] });
const NOW = new Date('2026-12-04T02:00:00Z');

describe('runUpstreamUpdate', () => {
  let registry: FakeRegistry;
  let settingsText: string;
  let lock: UpstreamLock;
  let latestDigest: string;
  let verified: string[];
  beforeEach(async () => {
    registry = await new FakeRegistry({ auth: 'none' }).start();
    registry.put(REPO, '0dd81e2dd718', build(1));
    registry.put(REPO, 'fedcba987654', build(2));
    latestDigest = registry.put(REPO, '5a9d6ed0e4b1', build(3));
    registry.put(REPO, '2026-12-01', build(3));
    registry.put(REPO, 'latest', build(3));
    settingsText = [
      '# the upstream',
      `UPSTREAM_CONTAINER_CPU_UNTAGGED=${registry.host}/${REPO}`,
      '# the commit both streams use',
      'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=0dd81e2dd718',
      'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
      'DOCKER_STACKS_REPO=https://github.com/jupyter/docker-stacks.git',
      'GPU_JUPYTER_REPO=https://github.com/iot-salzburg/gpu-jupyter.git',
      `GPU_JUPYTER_HEAD_COMMIT=${GPU_PIN}`,
      'IMAGE_REBUILD_DATE=2026-12-01',
      '',
    ].join('\n');
    lock = { version: 1, upstreams: { [CPU_UPSTREAM_KEY]: { reference: `${registry.host}/${REPO}:0dd81e2dd718`, digest: null, checkedAt: '2026-12-01T00:00:00.000Z' } } };
    verified = [];
  });
  afterEach(() => registry.stop().catch(() => undefined));

  const inputs = (over: Partial<UpdateInputs> = {}): UpdateInputs => ({
    settingsText,
    settingsFile: 'build_settings.env',
    lock,
    registry: new RegistryClient({ authFiles: [] }),
    gpuJupyterTags: async () => TAGS,
    verifyStreams: async (commit) => {
      verified.push(commit);
      return null;
    },
    scans: [],
    pins: [],
    now: NOW,
    ...over,
  });

  it("moves the commit to latest's, locks its digest, checks the gpu stream on it first, and reports gpu-jupyter", async () => {
    const outcome = await runUpstreamUpdate(inputs());
    if (outcome.status !== 'changed') throw new Error(`expected a change, got ${outcome.status}`);
    expect(verified).toEqual(['5a9d6ed0e4b1']);
    expect(outcome.settingsText).toBe(settingsText.replace('HEAD_COMMIT=0dd81e2dd718', 'HEAD_COMMIT=5a9d6ed0e4b1'));
    expect(parseUpstreamLock(outcome.lockText).upstreams[CPU_UPSTREAM_KEY]).toEqual({ reference: `${registry.host}/${REPO}:5a9d6ed0e4b1`, digest: latestDigest, checkedAt: NOW.toISOString() });
    expect(outcome.summary.upstream).toMatchObject({ moved: true, old: { commit: '0dd81e2dd718', digest: null }, new: { commit: '5a9d6ed0e4b1', digest: latestDigest } });
    expect(outcome.summary.gpuJupyter.newer.map((r) => r.tag)).toEqual(['v1.11_cuda-12.9_ubuntu-24.04']);
    expect(outcome.settingsText).toContain(`GPU_JUPYTER_HEAD_COMMIT=${GPU_PIN}`);
  });

  it('moves no pin when the gpu stream fails on the new commit', async () => {
    const outcome = await runUpstreamUpdate(inputs({ verifyStreams: async () => 'stream parity: the gpu stream starts from 0dd81e2dd718' }));
    expect(outcome).toMatchObject({ status: 'failed', problems: ['the gpu stream fails on docker-stacks 5a9d6ed0e4b1, so no pin moves: stream parity: the gpu stream starts from 0dd81e2dd718'] });
    expect(outcome).not.toHaveProperty('settingsText');
  });

  it('changes nothing and names each thing it could not check', async () => {
    const host = registry.host;
    await registry.stop();
    const outcome = await runUpstreamUpdate(inputs({ gpuJupyterTags: async () => Promise.reject(new Error('git ls-remote failed: Could not resolve host: github.com')) }));
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.problems).toEqual([
      expect.stringMatching(new RegExp(`^could not check docker-stacks' latest \\(${host}/${REPO}\\): registry ${host} is not reachable`)),
      "could not check gpu-jupyter's releases (https://github.com/iot-salzburg/gpu-jupyter.git): git ls-remote failed: Could not resolve host: github.com",
    ]);
    expect(verified).toEqual([]);
  });

  it('fills a null digest of an unmoved pin without checking the gpu stream again, then is up to date', async () => {
    registry.put(REPO, 'latest', build(1));
    const first = await runUpstreamUpdate(inputs());
    if (first.status !== 'changed') throw new Error(`expected a change, got ${first.status}`);
    expect(first.settingsText).toBe(settingsText);
    expect(verified).toEqual([]);
    const second = await runUpstreamUpdate(inputs({ lock: parseUpstreamLock(first.lockText) }));
    expect(second.status).toBe('up-to-date');
  });

  it('bumps the rebuild date from the scan alongside the pin, and not twice on one day', async () => {
    const scan = readScannedImage(readFileSync(join(__dirname, '..', 'testing', 'trivy-minimal-notebook-cpu.json'), 'utf8'), 'minimal-cpu.json');
    const first = await runUpstreamUpdate(inputs({ scans: [scan] }));
    if (first.status !== 'changed') throw new Error(`expected a change, got ${first.status}`);
    expect(first.settingsText).toContain('IMAGE_REBUILD_DATE=2026-12-04');
    const again = await runUpstreamUpdate(inputs({ scans: [scan], settingsText: first.settingsText, lock: parseUpstreamLock(first.lockText) }));
    expect(again.status).toBe('up-to-date');
  });
});
