import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordIn, tasksRun } from '../../e2e/support/records';
import type { TempWorkspace } from '../../e2e/support/temp-workspace';
import { BATCH_PROCESS } from './engine-log';
import { lastLines } from './graph';

export interface NxRun {
  seconds: number;
  output: string;
}

/** Runs the real Nx CLI of a workspace copy and times it from spawn to exit; a failure stops the bench. */
export function timedNx(workspace: TempWorkspace, args: string[], env: NodeJS.ProcessEnv, what: string): NxRun {
  const start = process.hrtime.bigint();
  const result = workspace.nx(args, env);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  if (result.status !== 0) {
    const failed = output.split('\n').filter((line) => /error|failed/i.test(line)).slice(-3).join(' | ');
    throw new Error(`${what}: nx ${args.join(' ')} exited ${result.status ?? result.signal}: ${failed || lastLines(output)}`);
  }
  return { seconds, output };
}

/**
 * The projects whose engine build really ran: tasks Nx executed (not
 * restored from its cache) whose record says the engine built the image
 * (not found in the engine's storage or in the registry).
 */
export function rebuiltProjects(workspace: TempWorkspace, output: string, target: string, stream = 'cpu'): string[] {
  return tasksRun(output, target).filter((project) => readRecordIn(workspace.root, project, stream)?.source === 'built');
}

/** Where each image came from, per its record after the run. */
export function recordSources(workspace: TempWorkspace, projects: string[], stream = 'cpu'): Record<string, string | null> {
  return Object.fromEntries(projects.map((project) => [project, readRecordIn(workspace.root, project, stream)?.source ?? null]));
}

interface ProfileEvent {
  name: string;
  ph: string;
  dur?: number;
  args?: { target?: { project: string; target: string }; status?: string };
}

/**
 * Per-task wall time from the Chrome trace Nx writes when NX_PROFILE is set
 * (its TaskProfilingLifeCycle: one "X" event per task, from the task's start to its end).
 */
export function taskSecondsFromProfile(path: string, target: string): Record<string, { seconds: number; status: string }> {
  if (!existsSync(path)) throw new Error(`Nx wrote no task profile at ${path} (NX_PROFILE)`);
  const events = JSON.parse(readFileSync(path, 'utf8')) as ProfileEvent[];
  const tasks: Record<string, { seconds: number; status: string }> = {};
  for (const event of events) {
    if (event.ph !== 'X' || event.args?.target?.target !== target || event.dur === undefined) continue;
    tasks[event.args.target.project] = { seconds: event.dur / 1e6, status: event.args.status ?? '?' };
  }
  return tasks;
}

export function profilePath(workspace: TempWorkspace, name: string): { env: string; absolute: string } {
  // Relative: Nx joins NX_PROFILE onto its cwd. Under dist/ so git and `nx affected` never see it.
  const relative = join('dist', 'bench-profile', `${name}.json`);
  return { env: relative, absolute: join(workspace.root, relative) };
}

/** A scenario's tasks split into the engine's work and the rest. */
export interface TaskBreakdown {
  /** Wall time of each task Nx ran (cache hits left out). */
  task_s: Record<string, number>;
  /** The engine's work (podman build/push/pull) inside each of those tasks. */
  engine_s: Record<string, number>;
  /** Median over those tasks of wall minus engine: what Nx and the plugin cost per task. */
  overhead_s: number | null;
  /** CPU seconds of each of those tasks (its process, or its share of a batch process, plus its nx-container child). */
  cpu_s: Record<string, number>;
  /** Median CPU seconds of those tasks' own processes (a batch process's split equally among its tasks): the same overhead, not inflated by other load on the machine. */
  overhead_cpu_s: number | null;
}

function medianOrNull(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const RAN = new Set(['success', 'failure']);

export function taskBreakdown(
  tasks: Record<string, { seconds: number; status: string }>,
  engineSeconds: Record<string, number>,
  taskCpu: Record<string, number> = {},
  helperCpu: Record<string, number> = {},
): TaskBreakdown {
  const ran = Object.entries(tasks).filter(([, task]) => RAN.has(task.status));
  const task_s = Object.fromEntries(ran.map(([project, task]) => [project, task.seconds]));
  const engine_s = Object.fromEntries(ran.map(([project]) => [project, engineSeconds[project] ?? 0]));
  // Tasks that ran in a batch share its process: each is given an equal part of its CPU time.
  const batched = ran.filter(([project]) => !(project in taskCpu));
  const processCpu = (project: string) => taskCpu[project] ?? (BATCH_PROCESS in taskCpu ? taskCpu[BATCH_PROCESS] / batched.length : undefined);
  // A build's nx-container child is part of the task's cost too.
  const cpuOf = (project: string) => {
    const own = processCpu(project);
    return own === undefined ? undefined : own + (helperCpu[project] ?? 0);
  };
  const cpu_s: Record<string, number> = {};
  for (const [project] of ran) {
    const cpu = cpuOf(project);
    if (cpu !== undefined) cpu_s[project] = cpu;
  }
  return { task_s, engine_s, cpu_s, overhead_s: medianOrNull(taskOverheads({ task_s, engine_s })), overhead_cpu_s: medianOrNull(Object.values(cpu_s)) };
}

/** Per task that ran: its wall time beyond the engine's work. */
function taskOverheads({ task_s, engine_s }: Pick<TaskBreakdown, 'task_s' | 'engine_s'>): number[] {
  return Object.keys(task_s).map((project) => task_s[project] - engine_s[project]);
}

/** Several runs of one scenario taken together: the overhead medians over the tasks of all of them. */
export function pooledOverheads(breakdowns: TaskBreakdown[]): Pick<TaskBreakdown, 'overhead_s' | 'overhead_cpu_s'> {
  return {
    overhead_s: medianOrNull(breakdowns.flatMap(taskOverheads)),
    overhead_cpu_s: medianOrNull(breakdowns.flatMap((b) => Object.values(b.cpu_s))),
  };
}
