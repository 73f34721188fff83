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

/**
 * A user's value in double quotes for a one-line message, cut to about 60
 * characters (a pasted 200,000-character value must not become the message).
 */
export function quoted(value: string, max = 60): string {
  const shown = value.length > max ? `${value.slice(0, max - 20)}…${value.slice(-12)} (${value.length} characters)` : value;
  return JSON.stringify(shown);
}

/** `message` as the one line of task `task` (e.g. `base:build-cpu`); a message that already names the task is left as it is. */
export function forTask(task: string, message: string): string {
  return message.startsWith(task) ? message : `${task}: ${message}`;
}
