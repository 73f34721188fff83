import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';

/**
 * A CI script's input or environment is wrong. Like the executor's errors, the
 * message is the whole story (what, where, the fix) and is printed as one line.
 */
export class CiError extends BuildConfigurationError {
  constructor(message: string) {
    super(message);
    this.name = 'CiError';
  }
}

/**
 * Runs a CI script's main: a configuration error (ours, the executor's or the
 * registry client's) becomes one `error:` line and exit code 1; anything else
 * is a bug and keeps its stack.
 */
export function runCli(name: string, main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((error: unknown) => {
      if (error instanceof BuildConfigurationError) {
        console.error(`${name}: error: ${error.message}`);
      } else {
        console.error(`${name}: unexpected error (a bug in tools/ci):`, error);
      }
      process.exitCode = 1;
    });
}
