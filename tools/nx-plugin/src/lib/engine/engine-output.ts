import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ExecutorContext } from '@nx/devkit';
import { engineOutput, taskProcessEnv } from '../logger';

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

/** Enough output to find the cause (it is at the end); a long build prints megabytes. */
const KEPT_OUTPUT = 256 * 1024;

// Runs in the child: loads nx-container at once (a spare child, while the build before it runs), then runs it
// on the options, context and task variables read from stdin; the engine's exit code becomes the child's.
const CHILD = `
const { run } = require('@nx-tools/nx-container');
let input = '';
process.stdin.on('data', (chunk) => (input += chunk)).on('end', async () => {
  if (!input) return; // a spare that no build took
  const { options, context, env } = JSON.parse(input);
  Object.assign(process.env, env);
  try {
    process.exitCode = (await run(options, context)).success ? 0 : 1;
  } catch (error) {
    process.stderr.write(String((error && error.message) || error) + '\\n');
    process.exitCode = error && typeof error.exitCode === 'number' && error.exitCode > 0 ? error.exitCode : 1;
  }
});
`;

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
  return new Promise((resolve, reject) => {
    const child = nxContainerChild(context.root);
    let output = '';
    const printed = engineOutput(`${project}:${context.targetName ?? 'build'}`);
    const keep = (chunk: string, stream: 'stdout' | 'stderr') => {
      printed.write(chunk, stream);
      output = (output + chunk).slice(-KEPT_OUTPUT);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => keep(chunk, 'stdout'));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => keep(chunk, 'stderr'));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      printed.end();
      if (code === 0) return resolve({ success: true });
      const exitCode = signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : (code ?? undefined);
      reject(new EngineRunError(output, exitCode, `nx-container exited with ${signal ?? `code ${code}`}`));
    });
    child.stdin.end(JSON.stringify({ options, context: childContext, env: taskProcessEnv() }));
  });
}

const spawnNxContainerChild = (cwd: string) => spawn(process.execPath, ['-e', CHILD], { cwd, env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });

let spare: { cwd: string; child: ChildProcessWithoutNullStreams } | undefined;
/** Builds of this batch that may still need a child (see `expectEngineBuilds`); always 0 outside a batch. */
let buildsToCome = 0;

/** Called by a batch with the number of its tasks that may run the engine (not plans), before any runs. */
export function expectEngineBuilds(count: number): void {
  buildsToCome = count;
}

/**
 * A child for one nx-container run. Loading nx-container takes about 0.6 s of
 * CPU; where more builds of a batch may follow, the next child is started as
 * soon as one is taken, so it has loaded by the time the next build needs it.
 * A run with one build starts no spare: on 2 cores a second child loading at
 * the same time only slows the one the build waits for. A spare left at the
 * end reads an empty stdin and exits.
 */
function nxContainerChild(cwd: string): ChildProcessWithoutNullStreams {
  const child = spare?.cwd === cwd ? spare.child : spawnNxContainerChild(cwd);
  buildsToCome = Math.max(0, buildsToCome - 1);
  spare = buildsToCome > 0 ? { cwd, child: spawnNxContainerChild(cwd) } : undefined;
  return child;
}
