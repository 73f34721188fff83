import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchGraph } from './graph';
import { lastLines } from './graph';

/** Runs podman in one isolated machine (storage, auth file, registries.conf); never throws by itself. */
export type PodmanRunner = (args: string[]) => { ok: boolean; output: string; seconds: number };

export function podmanRunner(env: NodeJS.ProcessEnv): PodmanRunner {
  return (args) => {
    const start = process.hrtime.bigint();
    const result = spawnSync('podman', args, {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      timeout: 30 * 60 * 1000,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
    return { ok: result.status === 0, output, seconds };
  };
}

export interface BaselineResult {
  /** Time spent in the engine commands themselves (builds, pulls, pushes), in order. */
  wall_s: number;
  /** Images whose id changed: the engine really executed a step instead of reusing its layer cache. */
  rebuilt: string[];
  /** Engine commands run, e.g. `podman build` x5. */
  commands: number;
}

function must(run: PodmanRunner, args: string[]): number {
  const result = run(args);
  if (!result.ok) throw new Error(`baseline: podman ${args.slice(0, 1).join(' ')} failed: ${lastLines(result.output)}`);
  return result.seconds;
}

function imageId(run: PodmanRunner, reference: string): string | null {
  const result = run(['image', 'inspect', '--format', '{{.Id}}', reference]);
  return result.ok ? result.output.trim().split('\n')[0] : null;
}

function parentOf(graph: BenchGraph, project: string, upstream: string, tagOf: (project: string) => string): string {
  const parents = graph.images[project].parents;
  if (parents.length > 1) throw new Error(`baseline: ${project} has several parents (${parents.join(', ')}); the scripts build on one`);
  return parents.length === 0 ? upstream : tagOf(parents[0]);
}

function buildArgs(workspaceRoot: string, graph: BenchGraph, project: string, parent: string, tag: string, extra: string[] = []): string[] {
  const context = join(workspaceRoot, graph.images[project].root);
  return ['build', ...extra, '--build-arg', `BASE_CONTAINER=${parent}`, '--tag', tag, '--file', join(context, 'Dockerfile'), context];
}

/**
 * The original project's local way (build_cpu_local.sh): one plain build per
 * image, parents first, every image every time, each tagged by its name and
 * used by name as its children's BASE_CONTAINER.
 */
export function localBaseline(run: PodmanRunner, graph: BenchGraph, workspaceRoot: string, upstream: string): BaselineResult {
  const tagOf = (project: string) => `${graph.images[project].imageName}-cpu`;
  const result: BaselineResult = { wall_s: 0, rebuilt: [], commands: 0 };
  for (const project of graph.order) {
    const tag = tagOf(project);
    const before = imageId(run, tag);
    result.wall_s += must(run, buildArgs(workspaceRoot, graph, project, parentOf(graph, project, upstream, tagOf), tag));
    result.commands += 1;
    if (imageId(run, tag) !== before) result.rebuilt.push(project);
  }
  return result;
}

/**
 * The original project's CI way: for every image, pull its previous build
 * from the registry as a cache, build with --cache-from, then push.
 */
export function ciBaseline(run: PodmanRunner, graph: BenchGraph, workspaceRoot: string, upstream: string, repositoryPrefix: string): BaselineResult {
  const repositoryOf = (project: string) => `${repositoryPrefix}/${graph.images[project].imageName}-cpu`;
  const tagOf = (project: string) => `${repositoryOf(project)}:latest`;
  const result: BaselineResult = { wall_s: 0, rebuilt: [], commands: 0 };
  for (const project of graph.order) {
    const tag = tagOf(project);
    // The first build of a repository has nothing to pull: the scripts carry on without a cache.
    const pull = run(['pull', '--quiet', tag]);
    result.wall_s += pull.seconds;
    const before = pull.ok ? imageId(run, tag) : null;
    result.wall_s += must(run, buildArgs(workspaceRoot, graph, project, parentOf(graph, project, upstream, tagOf), tag, ['--cache-from', repositoryOf(project)]));
    if (imageId(run, tag) !== before) result.rebuilt.push(project);
    result.wall_s += must(run, ['push', '--quiet', tag]);
    result.commands += 3;
  }
  return result;
}
