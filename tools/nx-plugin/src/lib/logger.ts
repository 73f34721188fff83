/**
 * What executors print, through the console as @nx/devkit's logger does.
 * Importing @nx/devkit for its logger alone costs about half a second per
 * task (it loads most of Nx); executors run in a fresh process per task.
 */
export const logger = {
  info: (message: string) => console.info(message),
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
