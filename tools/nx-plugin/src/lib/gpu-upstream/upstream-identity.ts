import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildSettings } from '../settings/build-settings';
import { CUDA_UPSTREAM_KEY, lookupUpstream, UPSTREAM_LOCK_FILE, type LockedUpstream, type UpstreamLock } from '../upstream-lock/upstream-lock';

/**
 * What gpu-upstream is made from, known offline: the two pinned commits, the
 * code that runs the generator, and the locked nvidia/cuda base. Its content
 * tag is derived from this, so plan mode needs no generation; a real build
 * checks that the generated context (generation.json) has the same identity.
 */
export interface GpuUpstreamIdentity {
  gpuJupyterCommit: string;
  dockerStacksCommit: string;
  generatorSha256: string;
  /** name:tag@digest when locked, else name:tag (or nothing known) and a real build refuses. */
  cudaBase: string;
}

/**
 * This folder's sources, also when running compiled (dist/lib/gpu-upstream holds
 * only .js): the identity must not depend on which copy computes it.
 */
const GENERATOR_SOURCES = join(__dirname, '..', '..', '..', 'src', 'lib', 'gpu-upstream');

/** This folder's code (not its specs or test fixtures), by name: what turns the pins into a context. */
export function generatorCodeFiles(dir: string = GENERATOR_SOURCES): string[] {
  return readdirSync(dir)
    .filter((name) => /\.ts$/.test(name) && !/\.spec\.ts$/.test(name))
    .sort();
}

/** sha256 over generatorCodeFiles. */
export function generatorCodeSha256(dir: string = GENERATOR_SOURCES): string {
  const hash = createHash('sha256');
  for (const name of generatorCodeFiles(dir)) hash.update(name).update('\0').update(readFileSync(join(dir, name))).update('\0');
  return hash.digest('hex');
}

/** The lock's word on the cuda base, without generating: the entry names the tag the generator uses. */
export function lockedCudaBase(lock: UpstreamLock): LockedUpstream {
  const entry = lock.upstreams[CUDA_UPSTREAM_KEY];
  if (!entry) {
    return { locked: false, key: CUDA_UPSTREAM_KEY, reference: 'nvidia/cuda', why: `${UPSTREAM_LOCK_FILE} has no entry "${CUDA_UPSTREAM_KEY}" (the generated Dockerfile's FROM nvidia/cuda:…)` };
  }
  return lookupUpstream(lock, CUDA_UPSTREAM_KEY, entry.reference);
}

export function gpuUpstreamIdentity(settings: BuildSettings, cuda: LockedUpstream, generatorSha256: string = generatorCodeSha256()): GpuUpstreamIdentity {
  return {
    gpuJupyterCommit: settings.values.GPU_JUPYTER_HEAD_COMMIT,
    dockerStacksCommit: settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT,
    generatorSha256,
    cudaBase: cuda.locked ? cuda.pinned : cuda.reference,
  };
}

/** The identity as the content tag's parent identity: a stable string. */
export function identityKey(identity: GpuUpstreamIdentity): string {
  const { gpuJupyterCommit, dockerStacksCommit, generatorSha256, cudaBase } = identity;
  return JSON.stringify({ generated: 'gpu-upstream', gpuJupyterCommit, dockerStacksCommit, generatorSha256, cudaBase });
}

/** Which parts of two identities differ, for the message when a generated context is not the expected one. */
export function identityDifferences(expected: GpuUpstreamIdentity, actual: Partial<GpuUpstreamIdentity>): string[] {
  return (Object.keys(expected) as (keyof GpuUpstreamIdentity)[])
    .filter((key) => expected[key] !== actual[key])
    .map((key) => `${key} ${actual[key] ?? '(not recorded)'} instead of ${expected[key]}`);
}
