/**
 * The one way tools/ run the workspace's Nx CLI (node_modules/.bin/nx, never a
 * global one): `runNx` captures and never throws, for callers that judge the
 * result themselves (the e2e suites); `runNxOrFail` is for CI scripts, where a
 * failed Nx is a CiError naming the command.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CiError } from './ci-error';
import type { NxGraphJson } from './image-levels';

export interface NxResult extends Omit<SpawnSyncReturns<string>, 'output'> {
  /** stdout and stderr together */
  output: string;
}

export interface NxRunOptions {
  /** Capture stdout and return it (for JSON); otherwise Nx prints to this process's output. */
  capture?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The workspace's own Nx; for a caller that needs the process itself (to stream or interrupt it). */
export const nxBinary = (workspaceRoot: string) => join(workspaceRoot, 'node_modules', '.bin', 'nx');

function spawnNx(workspaceRoot: string, args: string[], env: NodeJS.ProcessEnv, capture: boolean): SpawnSyncReturns<string> {
  return spawnSync(nxBinary(workspaceRoot), args, {
    cwd: workspaceRoot,
    encoding: 'utf8',
    env: { ...process.env, NX_TUI: 'false', ...env },
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** Runs Nx in the workspace and captures its output; never throws, so a caller can judge a failure too. */
export function runNx(workspaceRoot: string, args: string[], env: NodeJS.ProcessEnv = {}): NxResult {
  const result = spawnNx(workspaceRoot, args, env, true);
  return { ...result, output: `${result.stdout}\n${result.stderr}` };
}

/** Runs Nx in the workspace; a non-zero exit is an error naming the command. Returns stdout when captured. */
export function runNxOrFail(workspaceRoot: string, args: string[], options: NxRunOptions = {}): string {
  if (!existsSync(nxBinary(workspaceRoot))) throw new CiError(`${nxBinary(workspaceRoot)} not found: run \`npm ci\` in ${workspaceRoot} first`);
  const result = spawnNx(workspaceRoot, args, options.env ?? {}, !!options.capture);
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
    runNxOrFail(workspaceRoot, ['run-many', '-t', ...targets, `--graph=${file}`], { capture: true, env });
    return JSON.parse(readFileSync(file, 'utf8')) as NxGraphJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The projects Nx says are affected (base and head from NX_BASE / NX_HEAD, as nrwl/nx-set-shas sets them). */
export function affectedProjects(workspaceRoot: string, env?: NodeJS.ProcessEnv): Set<string> {
  const out = runNxOrFail(workspaceRoot, ['show', 'projects', '--affected', '--json'], { capture: true, env });
  const start = out.indexOf('[');
  try {
    return new Set(JSON.parse(out.slice(start)) as string[]);
  } catch {
    throw new CiError(`nx show projects --affected --json printed no JSON list: ${out.slice(0, 300)}`);
  }
}
