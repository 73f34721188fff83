import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGenerationRecord, type GenerationRecord } from '../gpu-upstream/generation-record';
import { HEADER } from '../gpu-upstream/testing/fixture-repos';
import { RegistryAuthError, RegistryUnreachableError } from '../registry/errors';
import { RegistryClient } from '../registry/registry-client';
import { parseBuildSettings } from '../settings/build-settings';
import { collectStreamRoots, cpuUbuntuRelease } from './collect';

const SHA = '0dd81e2dd7186f2a9b0e1c3d4e5f60718293a4b5';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A registry answering over a fetch stub: an index, its amd64 manifest and the config blob. */
function registryFetch(config: object): { fetch: typeof fetch; paths: string[] } {
  const configBytes = JSON.stringify(config);
  const configDigest = `sha256:${sha256(configBytes)}`;
  const image = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: configDigest, size: configBytes.length }, layers: [] });
  const imageDigest = `sha256:${sha256(image)}`;
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { digest: `sha256:${'b'.repeat(64)}`, platform: { os: 'linux', architecture: 'arm64' } },
      { digest: imageDigest, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  });
  const served: Record<string, [string, string]> = {
    '/v2/jupyter/datascience-notebook/manifests/0dd81e2dd718': [index, 'application/vnd.oci.image.index.v1+json'],
    [`/v2/jupyter/datascience-notebook/manifests/${imageDigest}`]: [image, 'application/vnd.oci.image.manifest.v1+json'],
    [`/v2/jupyter/datascience-notebook/blobs/${configDigest}`]: [configBytes, 'application/octet-stream'],
  };
  const paths: string[] = [];
  const stub = (async (input: string | URL | Request) => {
    const path = new URL(String(input)).pathname;
    paths.push(path);
    const hit = served[path];
    if (!hit) return new Response(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN' }] }), { status: 404 });
    return new Response(hit[0], { status: 200, headers: { 'Content-Type': hit[1] } });
  }) as typeof fetch;
  return { fetch: stub, paths };
}

describe('reading the cpu root over the registry API', () => {
  it('goes index -> platform manifest -> config blob, and reads the Ubuntu label', async () => {
    const { fetch, paths } = registryFetch({ os: 'linux', config: { Labels: { 'org.opencontainers.image.ref.name': 'ubuntu', 'org.opencontainers.image.version': '24.04' } } });
    const client = new RegistryClient({ credentials: null, fetch });
    const release = await cpuUbuntuRelease('quay.io/jupyter/datascience-notebook:0dd81e2dd718', (ref) => client.imageConfig(ref));
    expect(release).toEqual({ release: '24.04', source: 'image label org.opencontainers.image.version' });
    expect(paths).toHaveLength(3);
    expect(paths[2]).toMatch(/\/blobs\/sha256:/);
  });

  it('is null for a tag the registry does not have, and names a platform it lacks', async () => {
    const { fetch } = registryFetch({});
    const client = new RegistryClient({ credentials: null, fetch });
    await expect(client.imageConfig('quay.io/jupyter/datascience-notebook:nope')).resolves.toBeNull();
    await expect(client.imageConfig('quay.io/jupyter/datascience-notebook:0dd81e2dd718', { os: 'linux', architecture: 's390x' })).rejects.toThrow(
      'registry quay.io has no linux/s390x image under quay.io/jupyter/datascience-notebook:0dd81e2dd718 (only linux/arm64, linux/amd64)',
    );
  });

  it('turns every registry failure into "unknown" with the reason, never a throw', async () => {
    const ref = 'quay.io/jupyter/datascience-notebook:0dd81e2dd718';
    await expect(cpuUbuntuRelease(ref, null)).resolves.toEqual({ release: null, reason: 'the registry was not asked (readRegistry is false)' });
    await expect(cpuUbuntuRelease(ref, async () => null)).resolves.toEqual({ release: null, reason: `${ref} is not in its registry` });
    await expect(cpuUbuntuRelease(ref, async () => { throw new RegistryUnreachableError('quay.io', 'host not found', 'ENOTFOUND'); })).resolves.toEqual({
      release: null,
      reason: 'registry quay.io not reachable: host not found',
    });
    await expect(cpuUbuntuRelease(ref, async () => { throw new RegistryAuthError('quay.io', 'jupyter/datascience-notebook', 401, 'missing'); })).resolves.toEqual({
      release: null,
      reason: 'registry quay.io wants a login (HTTP 401); podman login quay.io to read it',
    });
    await expect(cpuUbuntuRelease(ref, async () => { throw new Error('boom'); })).resolves.toEqual({ release: null, reason: 'reading its image config failed: boom' });
    // The real client against a host that does not resolve.
    const offline = new RegistryClient({ credentials: null, timeoutMs: 5000 });
    const release = await cpuUbuntuRelease('registry.invalid/x/y:1', (r) => offline.imageConfig(r));
    expect(release).toEqual({ release: null, reason: expect.stringMatching(/^registry registry\.invalid not reachable: /) });
  });
});

describe('collectStreamRoots', () => {
  let root: string;
  const contextDir = () => join(root, 'dist/images/gpu-upstream/context');
  const dockerfile = `# generated\n${HEADER('one')}USER root\n`;
  const settings = (commit: string) =>
    parseBuildSettings(
      [
        'UPSTREAM_CONTAINER_CPU_UNTAGGED=quay.io/jupyter/datascience-notebook',
        `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${commit}`,
        'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
        'DOCKER_STACKS_REPO=repos/docker-stacks',
        'GPU_JUPYTER_REPO=repos/gpu-jupyter',
        'GPU_JUPYTER_HEAD_COMMIT=01eff8a9a3bc05191b07077083a857f78edece92',
      ].join('\n'),
      'build_settings.env',
      {},
    );
  const record = (): GenerationRecord => ({
    version: 1,
    context: 'dist/images/gpu-upstream/context',
    dockerfileSha256: sha256(dockerfile),
    gpuJupyter: { repository: 'repos/gpu-jupyter', commitSetting: '01eff8a9a3bc05191b07077083a857f78edece92', commit: '01eff8a9a3bc05191b07077083a857f78edece92' },
    dockerStacks: { repository: 'repos/docker-stacks', commitSetting: SHA.slice(0, 12), commit: SHA },
    layout: 'custom/',
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kf-parity-'));
    mkdirSync(contextDir(), { recursive: true });
    writeFileSync(join(contextDir(), 'Dockerfile'), dockerfile);
    writeGenerationRecord(join(root, 'dist/images/gpu-upstream/generation.json'), record());
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const collect = (commit = SHA.slice(0, 12), env: NodeJS.ProcessEnv = {}) =>
    collectStreamRoots({ workspaceRoot: root, settings: settings(commit), contextDir: contextDir(), env, readImageConfig: null });

  it('takes the gpu root from the record and the Dockerfile, the cpu root from the settings', async () => {
    await expect(collect()).resolves.toEqual({
      cpu: {
        image: 'quay.io/jupyter/datascience-notebook:0dd81e2dd718',
        commit: '0dd81e2dd718',
        commitSource: 'build_settings.env',
        ubuntu: { release: null, reason: 'the registry was not asked (readRegistry is false)' },
      },
      gpu: {
        baseImage: 'nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04',
        baseImageAt: 'dist/images/gpu-upstream/context/Dockerfile:3',
        commit: SHA,
        commitSetting: '0dd81e2dd718',
        gpuJupyterCommit: '01eff8a9a3bc05191b07077083a857f78edece92',
        recordFile: 'dist/images/gpu-upstream/generation.json',
        ubuntu: { release: '24.04', source: 'FROM at dist/images/gpu-upstream/context/Dockerfile:3' },
      },
    });
    expect((await collect('3f40fd030303', { UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: '3f40fd030303' })).cpu.commitSource).toBe('the environment');
  });

  it('names the missing record and the fix', async () => {
    rmSync(join(root, 'dist/images/gpu-upstream/generation.json'));
    await expect(collect()).rejects.toThrow(
      'dist/images/gpu-upstream/generation.json not found: the gpu stream\'s generation is not recorded: run `nx run gpu-upstream:generate` (parity depends on it; it was skipped or its output removed)',
    );
  });

  it('names the Dockerfile and the fix when it has no FROM', async () => {
    writeFileSync(join(contextDir(), 'Dockerfile'), 'RUN true\n');
    writeGenerationRecord(join(root, 'dist/images/gpu-upstream/generation.json'), { ...record(), dockerfileSha256: sha256('RUN true\n') });
    await expect(collect()).rejects.toThrow('dist/images/gpu-upstream/context/Dockerfile has no FROM instruction: regenerate it with `nx run gpu-upstream:generate`');
  });

  it('refuses a Dockerfile changed after generation', async () => {
    writeFileSync(join(contextDir(), 'Dockerfile'), `${dockerfile}RUN echo edited\n`);
    await expect(collect()).rejects.toThrow(/^dist\/images\/gpu-upstream\/context\/Dockerfile is not the Dockerfile dist\/images\/gpu-upstream\/generation\.json describes/);
  });
});
