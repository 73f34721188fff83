import { spawn } from 'node:child_process';
import type { Cli, EngineName } from './engine-cli';

/**
 * A watcher outside this process tree: once this process is gone, for
 * whatever reason, it stops (gracefully, up to `stopSeconds`) and removes the
 * container. Nx answers Ctrl-C by killing the task's whole process tree (every
 * docker CLI the executor would start to clean up included) and SIGKILLs what
 * outlives its grace period, so cleanup cannot live inside the executor. The
 * double fork reparents the watcher away from the tree; it ignores the
 * terminal's signals and ends with its container. On the normal path the
 * executor removes the container itself and the watcher finds nothing to do.
 */
export function startContainerReaper(runtime: EngineName, name: string, stopSeconds: number, env: NodeJS.ProcessEnv = process.env): void {
  const script = [
    '(',
    "  trap '' INT TERM HUP",
    '  while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    '  if [ "$4" -gt 0 ]; then "$2" stop --time "$4" "$3"; fi',
    '  "$2" rm --force --volumes "$3"',
    ') </dev/null >/dev/null 2>&1 &',
  ].join('\n');
  const child = spawn('sh', ['-c', script, 'kf-container-reaper', String(process.pid), runtime, name, String(stopSeconds)], {
    env,
    detached: true,
    stdio: 'ignore',
  });
  child.on('error', () => undefined);
  child.unref();
}

/**
 * Guards a container for as long as it exists: a watcher removes it if this
 * process dies (see startContainerReaper), and SIGINT/SIGTERM end this process
 * at once, which hands the container to the watcher. Returns the function that
 * stops listening for signals (the watcher ends by itself).
 */
export function guardContainer(
  cli: Cli,
  name: string,
  options: { stopSeconds: number; onSignal?: (signal: NodeJS.Signals) => void; env?: NodeJS.ProcessEnv },
): () => void {
  startContainerReaper(cli.name, name, options.stopSeconds, options.env);
  const handler = (signal: NodeJS.Signals) => {
    options.onSignal?.(signal);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
