import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ExecutorContext } from '@nx/devkit';
import { OWNER_BUILD_ARG } from '../debris/ownership';
import { withBuildScratch } from '../debris/run-scratch';
import { engineOutput, taskProcessEnv } from '../logger';
import type { EngineName } from './engine-cli';

/** A failed engine run, with what the engine printed so the failure can be classified. */
export class EngineRunError extends Error {
  constructor(
    readonly output: string,
    readonly exitCode: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'EngineRunError';
  }
}

/** The shell's exit code for a process a signal ended: what the failure classifier reads. */
const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGKILL: 137, SIGTERM: 143 };

/** Enough output to find the cause (it is at the end); a long build prints megabytes. */
const KEPT_OUTPUT = 256 * 1024;

/** The child's own module: compiled beside this one. */
const CHILD = require.resolve('./nx-container-child');

/**
 * nx-container's run lets the engine print straight to the terminal and keeps
 * none of it, so its error says only "exit status 1". Running it in a child
 * process whose output passes through here (to the task's output) keeps the
 * end of what the engine said, so a failure can name its cause.
 */
export function runNxContainerCapturingOutput(options: Record<string, unknown>, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName ?? '';
  const childContext = {
    root: context.root,
    cwd: context.cwd,
    projectName: context.projectName,
    targetName: context.targetName,
    configurationName: context.configurationName,
    isVerbose: context.isVerbose,
    projectsConfigurations: { version: 2, projects: { [project]: context.projectsConfigurations?.projects?.[project] } },
  };
  return withBuildScratch(context.root, options.engine as EngineName, (scratch) => {
    const buildArgs = [...((options['build-args'] as string[] | undefined) ?? []), ...(scratch.ownerArg ? [scratch.ownerArg] : [])];
    return new Promise<{ success: boolean }>((resolve, reject) => {
      const child = nxContainerChild(context.root);
      let output = '';
      const printed = engineOutput(`${project}:${context.targetName ?? 'build'}`);
      const keep = (raw: string, stream: 'stdout' | 'stderr') => {
        const chunk = withoutOwnerArgWarning(raw);
        printed.write(chunk, stream);
        output = (output + chunk).slice(-KEPT_OUTPUT);
      };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => keep(chunk, 'stdout'));
      // Its first words mean it has loaded: the children for later builds load now, while the engine works.
      child.stdout.once('data', () => startSpares(context.root));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => keep(chunk, 'stderr'));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        printed.end();
        if (code === 0) return resolve({ success: true });
        const exitCode = signal ? (SIGNAL_EXIT_CODES[signal] ?? 128) : (code ?? undefined);
        reject(new EngineRunError(output, exitCode, `nx-container exited with ${signal ?? `code ${code}`}`));
      });
      child.stdin.end(JSON.stringify({ options: { ...options, 'build-args': buildArgs }, context: childContext, env: { ...taskProcessEnv(), TMPDIR: scratch.tmpdir } }));
    });
  });
}

/** podman warns that no Dockerfile declares the owner build arg (it is not meant for one): that warning says nothing to a user. */
export function withoutOwnerArgWarning(output: string): string {
  return output.replace(/^(.*one or more build args were not consumed: \[)([^\]\n]*)\](\r?\n)?/gm, (line, start: string, names: string, end = '') => {
    const others = names.split(' ').filter((name) => name && name !== OWNER_BUILD_ARG);
    return others.length === 0 ? '' : `${start}${others.join(' ')}]${end}`;
  });
}

const spawnNxContainerChild = (cwd: string) => spawn(process.execPath, [CHILD], { cwd, env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });

/** Children started ahead, loading nx-container, for builds to come (all of one workspace: a batch has one root). */
const spares: ChildProcessWithoutNullStreams[] = [];
/** Builds of this batch that may still need a child (see `expectEngineBuilds`); always 0 outside a batch. */
let buildsToCome = 0;
/** How many builds of this batch run at once at most: no more children than that are loaded ahead. */
let buildsAtOnce = 1;

/** Called by a batch, before any runs, with the number of its tasks that may run the engine (not plans) and its parallelism. */
export function expectEngineBuilds(count: number, concurrency: number): void {
  buildsToCome = count;
  buildsAtOnce = Math.max(1, concurrency);
}

/**
 * A task of the batch that ended without running the engine (its image was
 * in the registry or the engine's storage, or it failed first): one build
 * fewer may follow, so no child is loaded ahead for it.
 */
export function endedWithoutEngineBuild(): void {
  buildsToCome = Math.max(0, buildsToCome - 1);
}

/**
 * A child for one nx-container run. Loading nx-container takes about 0.6 s of
 * CPU; a build takes a child loaded ahead where there is one.
 */
function nxContainerChild(cwd: string): ChildProcessWithoutNullStreams {
  buildsToCome = Math.max(0, buildsToCome - 1);
  return spares.shift() ?? spawnNxContainerChild(cwd);
}

/**
 * Called once a build is certain (its image is nowhere): its child starts
 * loading now, while the parent image and the context are made ready,
 * unless one is loaded ahead already.
 */
export function startNxContainerChild(cwd: string): void {
  if (spares.length === 0) spares.push(spawnNxContainerChild(cwd));
}

/**
 * Where more builds of a batch may follow, children for them (as many as may
 * run at once) start once a build's own child has loaded, so they load while
 * that build's engine works: siblings waiting on one parent each find one
 * ready, and none competes with the child a build is waiting for (2 cores).
 * A run with one build starts none. A spare left at the end reads an empty
 * stdin and exits.
 */
function startSpares(cwd: string): void {
  while (spares.length < Math.min(buildsToCome, buildsAtOnce)) spares.push(spawnNxContainerChild(cwd));
}
