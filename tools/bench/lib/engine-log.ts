import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

/** One engine command run inside an Nx task. */
export interface EngineCommand {
  /** NX_TASK_TARGET_PROJECT of the task that ran it ('-' outside any task). */
  project: string;
  /** podman's subcommand: build, push, image, version… */
  command: string;
  seconds: number;
}

/** The commands that do the engine's own work, as the baseline counts it: the rest is overhead. */
const ENGINE_WORK = new Set(['build', 'push', 'pull']);

/**
 * Times every podman command Nx's tasks run, through a `podman` shim put first
 * on PATH, so a task's wall time can be split into the engine's work and
 * everything around it. The shim adds two `date` calls per command.
 */
export class EngineLog {
  private readonly file: string;
  private readonly shimDir: string;
  private offset = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'podman-commands.log');
    this.shimDir = join(dir, 'bin');
    mkdirSync(this.shimDir);
    const real = execFileSync('sh', ['-c', 'command -v podman'], { encoding: 'utf8' }).trim();
    const shim = join(this.shimDir, 'podman');
    writeFileSync(
      shim,
      [
        '#!/bin/sh',
        'start=$(date +%s.%N)',
        `${real} "$@"`,
        'status=$?',
        `printf '%s %s %s %s\\n' "\${NX_TASK_TARGET_PROJECT:--}" "$1" "$start" "$(date +%s.%N)" >> ${this.file}`,
        'exit $status',
        '',
      ].join('\n'),
    );
    chmodSync(shim, 0o755);
  }

  env(): NodeJS.ProcessEnv {
    return { PATH: `${this.shimDir}:${process.env.PATH ?? ''}` };
  }

  /** Forget what was logged so far: the next `read` returns only later commands. */
  mark(): void {
    this.offset = existsSync(this.file) ? readFileSync(this.file).length : 0;
  }

  read(): EngineCommand[] {
    if (!existsSync(this.file)) return [];
    return parseEngineLog(readFileSync(this.file).subarray(this.offset).toString('utf8'));
  }
}

export function parseEngineLog(text: string): EngineCommand[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [project, command, start, end] = line.split(' ');
      return { project, command, seconds: Number(end) - Number(start) };
    });
}

/** Seconds of engine work (build, push, pull) per project. */
export function engineSecondsByProject(commands: EngineCommand[]): Record<string, number> {
  const seconds: Record<string, number> = {};
  for (const command of commands) {
    if (!ENGINE_WORK.has(command.command)) continue;
    seconds[command.project] = (seconds[command.project] ?? 0) + command.seconds;
  }
  return seconds;
}
