import { spawn } from 'node:child_process';
import { BuildConfigurationError } from '../errors';
import type { RuntimeName } from './container-args';

/** What one CLI call gave back. */
export interface CliResult {
  /** Exit code; null when killed (time limit) or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started (e.g. not installed). */
  spawnError?: string;
}

/** A container CLI (docker or podman); a fake in unit tests. */
export interface Cli {
  name: RuntimeName;
  run(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
}

const MAX_OUTPUT = 1024 * 1024;

/** The real CLI, with its environment (podman's storage configuration passes through). */
export function realCli(name: RuntimeName, env: NodeJS.ProcessEnv = process.env): Cli {
  return {
    name,
    run(args, options = {}) {
      return new Promise((resolve) => {
        const child = spawn(name, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        const append = (current: string, chunk: Buffer) => (current.length < MAX_OUTPUT ? current + chunk.toString('utf8') : current);
        child.stdout.on('data', (chunk: Buffer) => (stdout = append(stdout, chunk)));
        child.stderr.on('data', (chunk: Buffer) => (stderr = append(stderr, chunk)));
        const timer = options.timeoutMs
          ? setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, options.timeoutMs)
          : null;
        child.on('error', (error) => {
          if (timer) clearTimeout(timer);
          resolve({ code: null, stdout, stderr, timedOut, spawnError: error.message });
        });
        child.on('close', (code) => {
          if (timer) clearTimeout(timer);
          resolve({ code, stdout, stderr, timedOut });
        });
      });
    },
  };
}

export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .pop() ?? 'no output'
  );
}

/** Fails with the fix when the runtime cannot run containers: not installed or its daemon down. */
export async function assertRuntimeReady(cli: Cli): Promise<void> {
  const probe = cli.name === 'docker' ? ['info', '--format', '{{.ServerVersion}}'] : ['version', '--format', '{{.Client.Version}}'];
  const result = await cli.run(probe, { timeoutMs: 30_000 });
  if (result.code === 0) return;
  const why = result.spawnError ?? lastLine(result.stderr);
  throw new BuildConfigurationError(
    cli.name === 'docker'
      ? `the docker daemon is not reachable (${why}): start dockerd (or Docker Desktop), or set IMAGE_RUNTIME=podman`
      : `podman is not usable (${why}): install podman, or set IMAGE_RUNTIME=docker`,
  );
}

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
export function startContainerReaper(runtime: RuntimeName, name: string, stopSeconds: number, env: NodeJS.ProcessEnv = process.env): void {
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
