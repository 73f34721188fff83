/**
 * Turns Nx's task graph into the fan-out of the main and nightly workflows:
 * which image builds run, on which level (a level starts when the one above
 * has pushed), what each single-image job must do before its own build, and
 * which images are left for the registry-side retag. Pure: the graph comes in
 * as the JSON that `nx run-many|affected -t ... --graph=<file>` writes.
 */
import { buildTarget, STREAMS, type Stream } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { CiError } from './ci-error';

/** The parts of Nx's `--graph=<file>` JSON this module reads. */
export interface NxGraphJson {
  graph: {
    nodes: Record<string, { name: string; data: { targets?: Record<string, unknown> } }>;
  };
  tasks: {
    tasks: Record<string, { id: string; target: { project: string; target: string; configuration?: string } }>;
    dependencies: Record<string, string[]>;
  };
}

/** One single-image job. Task lists are space-separated task ids, ready for a workflow input. */
export interface ImageJob {
  /** `<project>:build-<stream>` */
  task: string;
  project: string;
  stream: Stream;
  /** Build tasks of the images this one builds on: their records come from the registry. */
  parents: string;
  /** Non-image tasks the build depends on (e.g. a generated build context), dependencies first. */
  prepare: string;
  /** The container-test task to run after the build (`<project>:test-<stream>`), or ''. */
  test: string;
}

export interface ImageLevels {
  /** levels[0] has no selected parent; every job's selected parents are on earlier levels. */
  levels: ImageJob[][];
  /** Image builds in the graph that were not selected (not affected): they only need the commit's tags. */
  unselected: ImageJob[];
}

export interface LevelOptions {
  /** Which projects to build (the affected ones); every image project when absent. */
  selected?: ReadonlySet<string>;
  /** Streams whose test-<stream> target runs after the build, where a project has it. */
  testStreams?: readonly Stream[];
  /** The workflow's number of level jobs: a deeper hierarchy is an error that says what to add. */
  maxLevels: number;
}

/** The stream of an image build task's target (`build-cpu` → cpu), or null for any other target. */
export function streamOfBuildTarget(target: string): Stream | null {
  return STREAMS.find((stream) => buildTarget(stream) === target) ?? null;
}

/** `<project>:build-<stream>` → its parts; anything else is an error naming the expected form. */
export function parseBuildTask(task: string): { project: string; stream: Stream; target: string } {
  const colon = task.lastIndexOf(':');
  const project = task.slice(0, colon);
  const target = task.slice(colon + 1);
  const stream = colon > 0 ? streamOfBuildTarget(target) : null;
  if (!stream || !project) {
    throw new CiError(
      `"${task}" is not an image build task: expected <project>:${STREAMS.map(buildTarget).join('|')}, as tools/ci/plan.ts writes them`,
    );
  }
  return { project, stream, target };
}

/** Splits a task list as workflows pass it (spaces, commas or newlines); empty entries are dropped. */
export function splitTaskList(list: string | undefined): string[] {
  return (list ?? '').split(/[\s,]+/).filter(Boolean);
}

function isImageBuild(task: NxGraphJson['tasks']['tasks'][string]): boolean {
  return !task.target.configuration && streamOfBuildTarget(task.target.target) !== null;
}

interface Edges {
  parents: string[];
  prepare: string[];
}

/**
 * A build's parents are the nearest image builds among its dependencies, also
 * through non-image tasks; those non-image tasks (not crossing an image build)
 * are what the job prepares, in dependency order. This is exactly what
 * `--excludeTaskDependencies` leaves out.
 */
function edgesOf(build: string, graph: NxGraphJson, builds: Set<string>): Edges {
  const parents = new Set<string>();
  const prepare: string[] = [];
  const seen = new Set<string>();
  const visit = (task: string) => {
    if (builds.has(task)) {
      parents.add(task);
      return;
    }
    if (seen.has(task)) return;
    seen.add(task);
    for (const dependency of graph.tasks.dependencies[task] ?? []) visit(dependency);
    prepare.push(task);
  };
  for (const dependency of graph.tasks.dependencies[build] ?? []) visit(dependency);
  return { parents: [...parents].sort(), prepare };
}

function hasTarget(graph: NxGraphJson, project: string, target: string): boolean {
  return Object.prototype.hasOwnProperty.call(graph.graph.nodes[project]?.data.targets ?? {}, target);
}

export function computeImageLevels(graph: NxGraphJson, options: LevelOptions): ImageLevels {
  const builds = new Set(
    Object.values(graph.tasks.tasks)
      .filter(isImageBuild)
      .map((task) => task.id),
  );
  const edges = new Map([...builds].map((build) => [build, edgesOf(build, graph, builds)]));
  const isSelected = (build: string) => !options.selected || options.selected.has(parseBuildTask(build).project);

  // ceiling(b): the highest level among b's selected ancestors (-1 when none), looking
  // through unselected ancestors too, since their own parents may be rebuilt.
  const ceiling = new Map<string, number>();
  const visiting: string[] = [];
  const ceilingOf = (build: string): number => {
    const known = ceiling.get(build);
    if (known !== undefined) return known;
    if (visiting.includes(build)) {
      throw new CiError(`the image build tasks form a cycle (${[...visiting.slice(visiting.indexOf(build)), build].join(' -> ')}): fix the implicitDependencies`);
    }
    visiting.push(build);
    let highest = -1;
    for (const parent of edges.get(build)!.parents) {
      highest = Math.max(highest, isSelected(parent) ? ceilingOf(parent) + 1 : ceilingOf(parent));
    }
    visiting.pop();
    ceiling.set(build, highest);
    return highest;
  };

  const testStreams = options.testStreams ?? [];
  const job = (build: string): ImageJob => {
    const { project, stream } = parseBuildTask(build);
    const testTarget = `test-${stream}`;
    const { parents, prepare } = edges.get(build)!;
    return {
      task: build,
      project,
      stream,
      parents: parents.join(' '),
      prepare: prepare.join(' '),
      test: testStreams.includes(stream) && hasTarget(graph, project, testTarget) ? `${project}:${testTarget}` : '',
    };
  };

  const levels: ImageJob[][] = [];
  const unselected: ImageJob[] = [];
  for (const build of [...builds].sort()) {
    if (!isSelected(build)) {
      unselected.push(job(build));
      continue;
    }
    const level = ceilingOf(build) + 1;
    while (levels.length <= level) levels.push([]);
    levels[level].push(job(build));
  }
  if (levels.length > options.maxLevels) {
    throw new CiError(
      `the images to build form ${levels.length} levels (${levels.map((level, i) => `${i}: ${level.map((j) => j.task).join(' ')}`).join('; ')}) ` +
        `but the workflow has ${options.maxLevels} level jobs: add level-${options.maxLevels}…level-${levels.length - 1} jobs ` +
        `to the workflows that fan out and raise their --max-levels to ${levels.length}`,
    );
  }
  return { levels, unselected };
}

/** Every job of every level, parents first. */
export function flattenLevels(levels: ImageJob[][]): ImageJob[] {
  return levels.flat();
}
