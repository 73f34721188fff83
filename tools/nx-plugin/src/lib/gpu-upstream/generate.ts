import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import type { BuildSettings } from '../settings/build-settings';
import { writeDirectoryAtomically } from './atomic-output';
import { detectLayout, GENERATOR_OUTPUT_DIR, GENERATOR_SCRIPT, STACKS_DIR, type GeneratorLayout } from './generator-layout';
import { checkoutDetached, checkoutForGenerator, headOf, pinSourceOf, resolvePinnedCommit } from './git-source';
import { pinGeneratedBase } from './cuda-base';
import { emptyLock, type LockedUpstream, type UpstreamLock } from '../upstream-lock/upstream-lock';
import { validateContextFiles, validateGeneratedDockerfile } from './validate-output';

export interface GenerateOptions {
  workspaceRoot: string;
  settings: BuildSettings;
  /** Holds the repository caches (kept between runs) and each run's throw-away checkouts. */
  workDir: string;
  /** Receives the build context: the Dockerfile and the files it copies. */
  outputDir: string;
  /** upstream-lock.json: the generated FROM nvidia/cuda:tag becomes name:tag@digest when it locks that tag. */
  lock?: UpstreamLock;
  log?: (line: string) => void;
}

export interface GenerateResult {
  gpuJupyterCommit: string;
  dockerStacksCommit: string;
  layout: GeneratorLayout['name'];
  outputDir: string;
  /** The context Dockerfile's base as written: name:tag@digest when locked. */
  cudaBase: string;
  cuda: LockedUpstream;
}

const short = (sha: string) => sha.slice(0, 12);

const pinSource = (options: GenerateOptions, what: string, locationKey: string, commitKey: string) =>
  pinSourceOf(options.settings, options.workspaceRoot, what, locationKey, commitKey);

/** Flags as in gpu-jupyter's README: docker-stacks at our commit, without its extra packages. */
export function generatorArguments(dockerStacksCommit: string): string[] {
  return ['--commit', dockerStacksCommit, '--no-useful-packages'];
}

function runGenerator(checkout: string, dockerStacksCommit: string, where: string, log: (line: string) => void): void {
  const args = generatorArguments(dockerStacksCommit);
  const result = spawnSync('bash', [GENERATOR_SCRIPT, ...args], {
    cwd: checkout,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    maxBuffer: 16 * 1024 * 1024,
  });
  // The generator does not stop on errors (no `set -e`); what it says on stderr is the clue when a check below fails.
  for (const line of (result.stderr ?? '').split('\n').filter(Boolean)) log(`  ${GENERATOR_SCRIPT}: ${line}`);
  if (result.error || result.status !== 0) {
    const said = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-3).join(' / ');
    throw new BuildConfigurationError(
      `${where}: ${GENERATOR_SCRIPT} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}): ${said}: check that the generator still accepts these flags, or pin another GPU_JUPYTER_HEAD_COMMIT`,
    );
  }
}

/**
 * Runs gpu-jupyter's generator at the pinned commit on docker-stacks at the
 * cpu stream's commit, without the GPU libraries (machine-learning installs
 * PyTorch and TensorFlow) and without the useful packages, checks what it
 * made, and writes the build context to outputDir, completely or not at all.
 */
export function generateGpuUpstream(options: GenerateOptions): GenerateResult {
  const { settings, workDir, outputDir } = options;
  const log = options.log ?? (() => undefined);
  rmSync(outputDir, { recursive: true, force: true });

  const cacheRoot = join(workDir, 'repos');
  const gpu = resolvePinnedCommit(cacheRoot, settings.values.GPU_JUPYTER_HEAD_COMMIT, pinSource(options, 'gpu-jupyter', 'GPU_JUPYTER_REPO', 'GPU_JUPYTER_HEAD_COMMIT'));
  // docker-stacks tags its images with a 12-character commit; the clone turns it into the full one the generator needs.
  const stacks = resolvePinnedCommit(cacheRoot, settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT, pinSource(options, 'docker-stacks', 'DOCKER_STACKS_REPO', 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT'));
  const label = `gpu-jupyter ${short(gpu.sha)} with docker-stacks ${short(stacks.sha)}`;
  const where = `gpu-upstream generate (${label})`;
  log(`generating from ${label}`);

  mkdirSync(workDir, { recursive: true });
  const run = mkdtempSync(join(workDir, 'run-'));
  try {
    const checkout = join(run, 'gpu-jupyter');
    checkoutDetached(gpu.cache, gpu.sha, checkout);
    const layout = detectLayout(checkout, label);
    const read = (file: string) => readFileSync(join(checkout, file), 'utf8');
    const gpulibsFragment = read(layout.gpulibs);
    const usefulPackagesFragment = read(layout.usefulPackages);
    // The generator always concatenates the gpulibs fragment; an empty one adds nothing.
    writeFileSync(join(checkout, layout.gpulibs), '');
    // gpu-jupyter commits an earlier generator output in .build/, with files today's docker-stacks no
    // longer has; start empty so the context holds exactly what this run generates.
    rmSync(join(checkout, GENERATOR_OUTPUT_DIR), { recursive: true, force: true });
    checkoutForGenerator(stacks.cache, stacks.sha, join(checkout, STACKS_DIR));

    runGenerator(checkout, stacks.sha, where, log);

    if (read(layout.gpulibs).trim() !== '') {
      throw new BuildConfigurationError(`${where}: ${GENERATOR_SCRIPT} restored ${layout.gpulibs} while it ran, so the GPU libraries cannot be left out by emptying it: adapt tools/nx-plugin/src/lib/gpu-upstream/generate.ts or pin another GPU_JUPYTER_HEAD_COMMIT`);
    }
    const stacksHead = headOf(join(checkout, STACKS_DIR));
    if (stacksHead !== stacks.sha) {
      throw new BuildConfigurationError(`${where}: ${GENERATOR_SCRIPT} left docker-stacks at ${stacksHead ?? 'no commit'} instead of ${stacks.sha}: it no longer honours --commit; adapt tools/nx-plugin/src/lib/gpu-upstream/generate.ts or pin another GPU_JUPYTER_HEAD_COMMIT`);
    }
    const dockerfile = join(checkout, GENERATOR_OUTPUT_DIR, 'Dockerfile');
    if (!existsSync(dockerfile)) {
      throw new BuildConfigurationError(`${where}: ${GENERATOR_SCRIPT} wrote no ${GENERATOR_OUTPUT_DIR}/Dockerfile: its output moved; adapt GENERATOR_OUTPUT_DIR in tools/nx-plugin/src/lib/gpu-upstream/generator-layout.ts or pin another GPU_JUPYTER_HEAD_COMMIT`);
    }
    validateGeneratedDockerfile(readFileSync(dockerfile, 'utf8'), { label, gpulibsFragment, gpulibsPath: layout.gpulibs, usefulPackagesFragment, usefulPackagesPath: layout.usefulPackages });
    const pinned = pinGeneratedBase(readFileSync(dockerfile, 'utf8'), options.lock ?? emptyLock(), `${where}: ${GENERATOR_OUTPUT_DIR}/Dockerfile`);
    const text = pinned.text;
    writeFileSync(dockerfile, text);
    if (!pinned.cuda.locked) log(`warning: ${pinned.cuda.why}: the context starts FROM ${pinned.base} by tag; run \`npm run pins\` before building it`);

    const stacksDir = join(checkout, STACKS_DIR);
    writeDirectoryAtomically(outputDir, (staging) => {
      cpSync(join(checkout, GENERATOR_OUTPUT_DIR), staging, { recursive: true, filter: (source) => source !== stacksDir });
      validateContextFiles(text, staging, label);
    });
    return { gpuJupyterCommit: gpu.sha, dockerStacksCommit: stacks.sha, layout: layout.name, outputDir, cudaBase: pinned.base, cuda: pinned.cuda };
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
}
