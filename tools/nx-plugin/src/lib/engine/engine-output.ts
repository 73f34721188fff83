import { spawn } from 'node:child_process';
import type { ExecutorContext } from '@nx/devkit';
import { taskProcessEnv, writeOutput } from '../logger';

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

// Runs in the child: nx-container's run on the options and context read from stdin; the engine's exit code becomes the child's.
const CHILD = `
const { run } = require('@nx-tools/nx-container');
let input = '';
process.stdin.on('data', (chunk) => (input += chunk)).on('end', async () => {
  const { options, context } = JSON.parse(input);
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
    const child = spawn(process.execPath, ['-e', CHILD], { cwd: context.root, env: taskProcessEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: string, stream: 'stdout' | 'stderr') => {
      writeOutput(chunk, stream);
      output = (output + chunk).slice(-KEPT_OUTPUT);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => keep(chunk, 'stdout'));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => keep(chunk, 'stderr'));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ success: true });
      const exitCode = signal === 'SIGKILL' ? 137 : signal === 'SIGTERM' ? 143 : (code ?? undefined);
      reject(new EngineRunError(output, exitCode, `nx-container exited with ${signal ?? `code ${code}`}`));
    });
    child.stdin.end(JSON.stringify({ options, context: childContext }));
  });
}
