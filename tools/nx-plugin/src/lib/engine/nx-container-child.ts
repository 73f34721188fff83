/**
 * The process one nx-container build runs in (started by `engine-output.ts`):
 * loads nx-container at once (a spare child loads while the build before it
 * runs), then runs it on the options, context and task variables read from
 * stdin. The engine's exit code becomes the child's.
 */
import { loadNxContainerRun } from './load-nx-container';

const run = loadNxContainerRun(process.cwd());
let input = '';
process.stdin
  .setEncoding('utf8')
  .on('data', (chunk: string) => (input += chunk))
  .on('end', async () => {
    if (!input) return; // a spare that no build took
    const { options, context, env } = JSON.parse(input);
    Object.assign(process.env, env);
    try {
      process.exitCode = (await run(options, context)).success ? 0 : 1;
    } catch (error) {
      const failure = error as { message?: string; exitCode?: unknown };
      process.stderr.write(`${(failure && failure.message) || String(error)}\n`);
      process.exitCode = typeof failure?.exitCode === 'number' && failure.exitCode > 0 ? failure.exitCode : 1;
    }
  });
