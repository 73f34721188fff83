/**
 * An error in the user's input or environment. Its message is the whole story
 * (what is wrong, where, and the fix), so executors print it as one line and
 * never with a stack trace.
 */
export class BuildConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildConfigurationError';
  }
}
