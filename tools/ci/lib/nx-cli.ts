import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CiError } from './ci-error';
import type { NxGraphJson } from './image-levels';

export interface NxRunOptions {
  /** Capture stdout and return it (for JSON); otherwise Nx prints to this process's output. */
  capture?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The workspace's own Nx (node_modules/.bin/nx), never a global one. */
export function nxBinary(workspaceRoot: string): string {
  const bin = join(workspaceRoot, 'node_modules', '.bin', 'nx');
  if (!existsSync(bin)) throw new CiError(`${bin} not found: run \`npm ci\` in ${workspaceRoot} first`);
  return bin;
}

/** Runs the Nx CLI in the workspace; a non-zero exit is an error naming the command. */
export function runNx(workspaceRoot: string, args: string[], options: NxRunOptions = {}): string {
  const result = spawnSync(nxBinary(workspaceRoot), args, {
    cwd: workspaceRoot,
    encoding: 'utf8',
    env: { ...process.env, NX_TUI: 'false', ...options.env },
    stdio: options.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw new CiError(`could not run nx ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = options.capture ? `: ${`${result.stderr}\n${result.stdout}`.trim().split('\n').slice(-15).join('\n')}` : ' (its output is above)';
    throw new CiError(`nx ${args.join(' ')} failed with exit code ${result.status}${tail}`);
  }
  return options.capture ? result.stdout : '';
}

/** The task graph Nx would run for `nx run-many -t <targets>` (all projects that have them), as JSON. */
export function taskGraph(workspaceRoot: string, targets: string[], env?: NodeJS.ProcessEnv): NxGraphJson {
  const dir = mkdtempSync(join(tmpdir(), 'kf-ci-graph-'));
  const file = join(dir, 'graph.json');
  try {
    runNx(workspaceRoot, ['run-many', '-t', ...targets, `--graph=${file}`], { capture: true, env });
    return JSON.parse(readFileSync(file, 'utf8')) as NxGraphJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The projects Nx says are affected (base and head from NX_BASE / NX_HEAD, as nrwl/nx-set-shas sets them). */
export function affectedProjects(workspaceRoot: string, env?: NodeJS.ProcessEnv): Set<string> {
  const out = runNx(workspaceRoot, ['show', 'projects', '--affected', '--json'], { capture: true, env });
  const start = out.indexOf('[');
  try {
    return new Set(JSON.parse(out.slice(start)) as string[]);
  } catch {
    throw new CiError(`nx show projects --affected --json printed no JSON list: ${out.slice(0, 300)}`);
  }
}

/**
 * Plan mode (`-c plan`) for build tasks and what they depend on: writes each
 * image's planned record (reference, content tag) without running any engine.
 * The Nx cache is skipped so a record always reflects this checkout and environment.
 */
export function planBuilds(workspaceRoot: string, tasks: { project: string; target: string }[], env?: NodeJS.ProcessEnv): void {
  if (tasks.length === 0) return;
  const targets = [...new Set(tasks.map((task) => task.target))].sort();
  const projects = [...new Set(tasks.map((task) => task.project))].sort();
  runNx(
    workspaceRoot,
    ['run-many', '-t', ...targets, '-p', projects.join(','), '-c', 'plan', '--skip-nx-cache', '--output-style=static'],
    { env },
  );
}
