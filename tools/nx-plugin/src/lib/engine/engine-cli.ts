import { spawn, spawnSync } from 'node:child_process';

/** The container engines this workspace drives; both answer the same CLI. */
export const ENGINE_NAMES = ['docker', 'podman'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/** What one engine CLI call gave back (the same for the async and the sync call). */
export interface CliResult {
  /** Exit code; null when killed (time limit) or not started. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started (e.g. not installed). */
  spawnError?: string;
}

/** An engine CLI (docker or podman); a fake in unit tests (fake-cli.test-helper.ts). */
export interface Cli {
  name: EngineName;
  run(args: string[], options?: { timeoutMs?: number }): Promise<CliResult>;
}

const MAX_OUTPUT = 1024 * 1024;

/** The real CLI, with its environment (podman's storage configuration passes through). */
export function realCli(name: EngineName, env: NodeJS.ProcessEnv = process.env): Cli {
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

/**
 * The same call, blocking: for the engine's readiness probes, asked from
 * synchronous code (choosing the engine, and before a build only when no
 * lookup has shown the engine works). No time limit, as these are short
 * questions to a local engine.
 */
export function runEngineSync(name: EngineName, args: string[]): CliResult {
  const result = spawnSync(name, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const answered = { code: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', timedOut: false };
  return result.error ? { ...answered, spawnError: result.error.message } : answered;
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

/** Why a call failed, in one line: the program could not start, or the engine's last word. */
export function failureReason(result: CliResult): string {
  return result.spawnError ?? lastLine(result.stderr);
}

/** Where the engine keeps its temporary files: TMPDIR, else podman's default for image copies (/var/tmp), else the system's. */
export function engineTempDir(engine: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.TMPDIR || (engine === 'podman' ? '/var/tmp' : '/tmp');
}
