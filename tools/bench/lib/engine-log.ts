import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One engine command run inside an Nx task. */
export interface EngineCommand {
  /** NX_TASK_TARGET_PROJECT of the task that ran it ('-' outside any task). */
  project: string;
  /** podman's subcommand: build, push, image, version… */
  command: string;
  seconds: number;
}

/** Pseudo command of a task process's CPU seconds: logged as start, start + CPU seconds. */
const TASK_CPU = 'task-cpu';

/** Pseudo command of the CPU seconds of the child process each build runs nx-container in (lib/engine/engine-output.ts). */
const HELPER_CPU = 'helper-cpu';

/** The project under which batch processes (several tasks in one process) log their CPU time. */
export const BATCH_PROCESS = '(batch)';

/** The commands that do the engine's own work, as the baseline counts it: the rest is overhead. */
const ENGINE_WORK = new Set(['build', 'push', 'pull']);

/**
 * Loaded with --require into every Node process of the Nx runs (NODE_OPTIONS):
 * times each podman child process and appends one line per command. A PATH
 * shim cannot do it: nx-container spawns through tinyexec, which puts Node's
 * own directory (/usr/bin, where podman lives) before PATH.
 */
const PRELOAD = `'use strict';
const childProcess = require('node:child_process');
const { appendFileSync } = require('node:fs');
const { basename } = require('node:path');
const logFile = process.env.BENCH_ENGINE_LOG;
const spawn = childProcess.spawn;
childProcess.spawn = function (command, args, ...rest) {
  const child = spawn.call(this, command, args, ...rest);
  if (logFile && typeof command === 'string' && basename(command) === 'podman') {
    const start = Date.now() / 1000;
    const subcommand = Array.isArray(args) && args.length ? String(args[0]) : '-';
    // A batch runs several tasks in one process: each task hands its project to the processes it starts.
    const env = (rest[0] && typeof rest[0] === 'object' && rest[0].env) || process.env;
    child.on('exit', () => {
      appendFileSync(logFile, (env.NX_TASK_TARGET_PROJECT || '-') + ' ' + subcommand + ' ' + start.toFixed(3) + ' ' + (Date.now() / 1000).toFixed(3) + '\\n');
    });
  }
  return child;
};
// The task process's own CPU time (Nx, the executor, modules loaded), which CPU contention does not inflate;
// a batch process's (several tasks in one process) under ${BATCH_PROCESS}.
const taskProcess = /run-executor\\.js$/.test(process.argv[1] || '');
const batchProcess = /run-batch\\.js$/.test(process.argv[1] || '');
// This process's own CPU seconds, logged as one pseudo command running from now to now + seconds.
const logOwnCpu = (project, command) => {
  const usage = process.cpuUsage();
  const now = Date.now() / 1000;
  appendFileSync(logFile, project + ' ' + command + ' ' + now.toFixed(3) + ' ' + (now + (usage.user + usage.system) / 1e6).toFixed(3) + '\\n');
};
// The child a build runs nx-container in: its project arrives on stdin, so it is read at exit.
const nxContainerChild = /nx-container-child\\.js$/.test(process.argv[1] || '');
if (logFile && nxContainerChild) {
  process.on('exit', () => {
    if (!process.env.NX_TASK_TARGET_PROJECT) return; // a spare no build took
    logOwnCpu(process.env.NX_TASK_TARGET_PROJECT, '${HELPER_CPU}');
  });
}
if (logFile && (taskProcess || batchProcess)) {
  process.on('exit', () => {
    logOwnCpu(batchProcess ? '${BATCH_PROCESS}' : process.env.NX_TASK_TARGET_PROJECT || '-', '${TASK_CPU}');
  });
  // Nx ends a batch process, once its results are in, with SIGTERM, which skips 'exit' handlers.
  if (batchProcess) process.once('SIGTERM', () => process.exit(143));
}
// ES modules (tinyexec, which nx-container runs podman through) see builtins' exports as they were: refresh them.
require('node:module').syncBuiltinESMExports();
`;

/**
 * Times every podman command the Nx tasks run, so a task's wall time can be
 * split into the engine's work and everything around it.
 */
export class EngineLog {
  private readonly file: string;
  private readonly preload: string;
  private offset = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'podman-commands.log');
    this.preload = join(dir, 'time-podman.cjs');
    writeFileSync(this.preload, PRELOAD);
  }

  env(): NodeJS.ProcessEnv {
    const inherited = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
    return { NODE_OPTIONS: `${inherited}--require ${this.preload}`, BENCH_ENGINE_LOG: this.file };
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

/** Seconds of every podman command logged (probes, tags and inspects too), summed: what the engine alone took. */
export function allEngineCommandSeconds(commands: EngineCommand[]): number {
  return commands.filter((command) => command.command !== TASK_CPU && command.command !== HELPER_CPU).reduce((sum, command) => sum + command.seconds, 0);
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

/** CPU seconds each task process spent itself (not its podman children); batch processes summed under BATCH_PROCESS. */
export function taskCpuByProject(commands: EngineCommand[]): Record<string, number> {
  const cpu: Record<string, number> = {};
  for (const { project, command, seconds } of commands) {
    if (command !== TASK_CPU) continue;
    cpu[project] = project === BATCH_PROCESS ? (cpu[project] ?? 0) + seconds : seconds;
  }
  return cpu;
}

/** CPU seconds of the nx-container child process of each task's build (not its podman children). */
export function helperCpuByProject(commands: EngineCommand[]): Record<string, number> {
  const cpu: Record<string, number> = {};
  for (const { project, command, seconds } of commands) if (command === HELPER_CPU) cpu[project] = (cpu[project] ?? 0) + seconds;
  return cpu;
}
