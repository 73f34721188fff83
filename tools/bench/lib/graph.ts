import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TempWorkspace } from '../../e2e/support/temp-workspace';

/** One image the bench builds, as the Nx project graph describes it. */
export interface BenchImage {
  project: string;
  /** Project root, e.g. images/minimal: where its Dockerfile and build context live. */
  root: string;
  /** Published name without the stream suffix (project.json metadata.imageName). */
  imageName: string;
  /** The images it is built on (for this hierarchy: exactly one, or none for the root). */
  parents: string[];
}

export interface BenchGraph {
  /** Every project with the target, parents before children. */
  order: string[];
  images: Record<string, BenchImage>;
  /** Images nothing else is built on. */
  leaves: string[];
}

/** The subset of `nx graph --file` output the bench reads. */
export interface NxGraphFile {
  graph: {
    nodes: Record<string, { name: string; data: { root: string; metadata?: { imageName?: string } } }>;
    dependencies: Record<string, { source: string; target: string }[]>;
  };
}

/**
 * Builds the bench's view of the hierarchy from Nx's own answers: the
 * projects that have the target, and the graph's dependencies between them.
 */
export function benchGraphFrom(projects: string[], file: NxGraphFile, target: string): BenchGraph {
  if (projects.length === 0) throw new Error(`no project has a ${target} target: nothing to benchmark`);
  const set = new Set(projects);
  const images: Record<string, BenchImage> = {};
  for (const project of projects) {
    const node = file.graph.nodes[project];
    if (!node) throw new Error(`nx show projects lists ${project} but the project graph has no such node`);
    const imageName = node.data.metadata?.imageName;
    if (!imageName) throw new Error(`${node.data.root}/project.json: ${project} has no metadata.imageName`);
    const parents = (file.graph.dependencies[project] ?? []).map((dep) => dep.target).filter((dep) => set.has(dep));
    images[project] = { project, root: node.data.root, imageName, parents: [...new Set(parents)].sort() };
  }
  const order = topologicalOrder(images);
  const hasChildren = new Set(Object.values(images).flatMap((image) => image.parents));
  const leaves = order.filter((project) => !hasChildren.has(project)).sort();
  return { order, images, leaves };
}

/** Kahn's algorithm; ties broken by name so the order is the same on every run. */
export function topologicalOrder(images: Record<string, Pick<BenchImage, 'parents'>>): string[] {
  const remaining = new Map(Object.entries(images).map(([project, image]) => [project, new Set(image.parents)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, parents]) => parents.size === 0).map(([project]) => project).sort();
    if (ready.length === 0) throw new Error(`the image graph has a cycle among: ${[...remaining.keys()].sort().join(', ')}`);
    for (const project of ready) {
      remaining.delete(project);
      for (const parents of remaining.values()) parents.delete(project);
      order.push(project);
    }
  }
  return order;
}

/** The chain of images whose build durations add up to the most: no schedule can finish faster. */
export function criticalPath(graph: Pick<BenchGraph, 'order' | 'images'>, seconds: Record<string, number>): { seconds: number; chain: string[] } {
  const best: Record<string, { seconds: number; chain: string[] }> = {};
  for (const project of graph.order) {
    const own = seconds[project];
    if (own === undefined) throw new Error(`no build duration for ${project}`);
    const longestParent = graph.images[project].parents
      .map((parent) => best[parent])
      .reduce<{ seconds: number; chain: string[] } | undefined>((a, b) => (!a || b.seconds > a.seconds ? b : a), undefined);
    best[project] = { seconds: (longestParent?.seconds ?? 0) + own, chain: [...(longestParent?.chain ?? []), project] };
  }
  return Object.values(best).reduce((a, b) => (b.seconds > a.seconds ? b : a), { seconds: 0, chain: [] as string[] });
}

/** Asks the real Nx CLI of the workspace (daemon off, so nothing of it stays warm for the cold scenario). */
export function readBenchGraph(workspace: TempWorkspace, target: string): BenchGraph {
  const env = { NX_DAEMON: 'false' };
  const show = workspace.nx(['show', 'projects', '--withTarget', target, '--json'], env);
  if (show.status !== 0) throw new Error(`nx show projects --withTarget ${target} failed: ${lastLines(show.stderr || show.stdout)}`);
  const projects = JSON.parse(show.stdout.slice(show.stdout.indexOf('['))) as string[];
  mkdirSync(join(workspace.root, 'dist', 'bench'), { recursive: true });
  const graphFile = join('dist', 'bench', 'graph.json');
  const graph = workspace.nx(['graph', `--file=${graphFile}`], env);
  if (graph.status !== 0) throw new Error(`nx graph --file failed: ${lastLines(graph.stderr || graph.stdout)}`);
  return benchGraphFrom(projects, JSON.parse(readFileSync(join(workspace.root, graphFile), 'utf8')), target);
}

export function lastLines(text: string, count = 3): string {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).slice(-count).join(' | ');
}
