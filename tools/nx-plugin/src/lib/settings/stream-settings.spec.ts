import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildSettings } from './build-settings';
import { ownershipOf, streamSettings, type UpstreamOwnership } from './stream-settings';
import { parseUpstreamLock, type UpstreamLock } from '../upstream-lock/upstream-lock';

const settings: BuildSettings = {
  file: 'build_settings.env',
  values: {
    UPSTREAM_CONTAINER_CPU: 'quay.io/jupyter/datascience-notebook:abc',
    UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: 'abc',
    GPU_JUPYTER_HEAD_COMMIT: '0123',
    IMAGE_REGISTRY: 'localhost:5000',
  },
};
const entry = (reference: string) => ({ reference, digest: null, checkedAt: '2026-01-01T00:00:00.000Z' });
const lock: UpstreamLock = { version: 1, upstreams: { UPSTREAM_CONTAINER_CPU: entry('quay.io/jupyter/datascience-notebook:abc'), 'gpu-upstream/nvidia-cuda': entry('nvidia/cuda:12') } };
const owners: UpstreamOwnership[] = [
  { project: 'cpu-upstream', stream: 'cpu', lockEntries: ['UPSTREAM_CONTAINER_CPU'] },
  { project: 'gpu-upstream', stream: 'gpu', lockEntries: ['gpu-upstream/nvidia-cuda'] },
];

describe('streamSettings', () => {
  it('keeps what both streams read and what the stream owns, and leaves out what the other stream owns', () => {
    const cpu = streamSettings('cpu', settings, lock, owners);
    expect(Object.keys(cpu.settings)).toEqual(['IMAGE_REGISTRY', 'UPSTREAM_CONTAINER_CPU', 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT']);
    expect(Object.keys(cpu.lock)).toEqual(['UPSTREAM_CONTAINER_CPU']);
    const gpu = streamSettings('gpu', settings, lock, owners);
    expect(Object.keys(gpu.settings)).toEqual(['GPU_JUPYTER_HEAD_COMMIT', 'IMAGE_REGISTRY', 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT']);
    expect(Object.keys(gpu.lock)).toEqual(['gpu-upstream/nvidia-cuda']);
  });

  it('does not change for a stream when only the other stream\'s pin moves', () => {
    const moved = { ...settings, values: { ...settings.values, GPU_JUPYTER_HEAD_COMMIT: '4567' } };
    expect(streamSettings('cpu', moved, lock, owners)).toEqual(streamSettings('cpu', settings, lock, owners));
    expect(streamSettings('gpu', moved, lock, owners)).not.toEqual(streamSettings('gpu', settings, lock, owners));
  });

  it('leaves out what never changes what is built: the layer cache, the branches, the test runtime', () => {
    const withCache = { ...settings, values: { ...settings.values, IMAGE_LAYER_CACHE: 'false', IMAGE_DEFAULT_BRANCH: 'trunk', IMAGE_BRANCH: 'x', IMAGE_RUNTIME: 'podman' } };
    expect(streamSettings('cpu', withCache, lock, owners)).toEqual(streamSettings('cpu', settings, lock, owners));
    expect(streamSettings('gpu', withCache, lock, owners)).toEqual(streamSettings('gpu', settings, lock, owners));
  });

  it('reads ownership from an upstream of one stream only', () => {
    expect(ownershipOf('cpu-upstream', { streams: ['cpu'], lockEntries: ['B'] })).toEqual({ project: 'cpu-upstream', stream: 'cpu', lockEntries: ['B'] });
    expect(ownershipOf('base', { imageName: 'base-notebook', streams: ['cpu', 'gpu'] })).toBeNull();
    expect(ownershipOf('nx-plugin', undefined)).toBeNull();
  });
});

describe("the workspace's upstream projects", () => {
  const workspace = join(__dirname, '..', '..', '..', '..', '..');
  const images = join(workspace, 'images');
  const upstreams = readdirSync(images)
    .filter((name) => existsSync(join(images, name, 'project.json')))
    .map((name) => JSON.parse(readFileSync(join(images, name, 'project.json'), 'utf8')))
    .filter((project) => (project.tags ?? []).includes('image:upstream'));
  const workspaceLock = parseUpstreamLock(readFileSync(join(workspace, 'upstream-lock.json'), 'utf8'));

  it('each own lock entries the lock has, and no two own the same', () => {
    const owned = upstreams.map((project) => ownershipOf(project.name, project.metadata)).filter((owner): owner is UpstreamOwnership => !!owner);
    expect(owned.map((owner) => owner.stream).sort()).toEqual(['cpu', 'gpu']);
    const lockKeys = owned.flatMap((owner) => owner.lockEntries);
    expect(lockKeys.filter((key) => !workspaceLock.upstreams[key])).toEqual([]);
    expect(new Set(lockKeys).size).toBe(lockKeys.length);
  });
});
