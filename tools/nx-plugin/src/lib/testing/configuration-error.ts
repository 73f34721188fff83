import { BuildConfigurationError } from '../errors';

/** Runs `fn` and returns the BuildConfigurationError it throws, failing the test otherwise. */
export function configurationErrorOf(fn: () => unknown): BuildConfigurationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BuildConfigurationError);
    return error as BuildConfigurationError;
  }
  throw new Error('expected a BuildConfigurationError, but nothing was thrown');
}
