import { computeImageLevels, flattenLevels, parseBuildTask, splitTaskList, streamOfBuildTarget, type NxGraphJson } from './image-levels';

/**
 * A task graph in the shape of Nx's `--graph=<file>` output. `deps` maps a
 * task to the tasks it depends on; `targets` lists each project's targets.
 */
function graphOf(deps: Record<string, string[]>, targets: Record<string, string[]> = {}): NxGraphJson {
  const ids = new Set([...Object.keys(deps), ...Object.values(deps).flat()]);
  const tasks: NxGraphJson['tasks']['tasks'] = {};
  for (const id of ids) {
    const [project, target, configuration] = id.split(':');
    tasks[id] = { id, target: { project, target, ...(configuration ? { configuration } : {}) } };
  }
  const nodes: NxGraphJson['graph']['nodes'] = {};
  for (const id of ids) {
    const project = id.split(':')[0];
    nodes[project] ??= { name: project, data: { targets: {} } };
    nodes[project].data.targets![id.split(':')[1]] = {};
  }
  for (const [project, names] of Object.entries(targets)) for (const name of names) nodes[project].data.targets![name] = {};
  return { graph: { nodes }, tasks: { tasks, dependencies: Object.fromEntries([...ids].map((id) => [id, deps[id] ?? []])) } };
}

/** A made-up hierarchy with the same shapes as the real one: a generated gpu root, a chain, siblings, a cpu-only leaf. */
const FAMILY = graphOf(
  {
    'root:build-cpu': [],
    'gen:build-gpu': ['gen:generate'],
    'gen:generate': [],
    'root:build-gpu': ['gen:build-gpu'],
    'mid:build-cpu': ['root:build-cpu'],
    'mid:build-gpu': ['root:build-gpu'],
    'leaf-a:build-cpu': ['mid:build-cpu'],
    'leaf-a:build-gpu': ['mid:build-gpu'],
    'leaf-b:build-cpu': ['mid:build-cpu'],
  },
  { root: ['test-cpu', 'test-gpu'], 'leaf-b': ['test-cpu'] },
);

const tasksOf = (levels: { task: string }[][]) => levels.map((level) => level.map((job) => job.task));

describe('computeImageLevels', () => {
  it('puts every image on the level after its deepest parent', () => {
    const { levels, unselected } = computeImageLevels(FAMILY, { maxLevels: 6 });
    expect(tasksOf(levels)).toEqual([
      ['gen:build-gpu', 'root:build-cpu'],
      ['mid:build-cpu', 'root:build-gpu'],
      ['leaf-a:build-cpu', 'leaf-b:build-cpu', 'mid:build-gpu'],
      ['leaf-a:build-gpu'],
    ]);
    expect(unselected).toEqual([]);
  });

  it('names the parents (from the registry) and the non-image tasks to run first', () => {
    const jobs = Object.fromEntries(flattenLevels(computeImageLevels(FAMILY, { maxLevels: 6 }).levels).map((job) => [job.task, job]));
    expect(jobs['gen:build-gpu']).toMatchObject({ project: 'gen', stream: 'gpu', parents: '', prepare: 'gen:generate' });
    expect(jobs['root:build-gpu']).toMatchObject({ parents: 'gen:build-gpu', prepare: '' });
    expect(jobs['leaf-a:build-cpu']).toMatchObject({ project: 'leaf-a', stream: 'cpu', parents: 'mid:build-cpu', prepare: '' });
  });

  it('compacts the levels to the selected images, and leaves the others for the retag', () => {
    const { levels, unselected } = computeImageLevels(FAMILY, { selected: new Set(['mid', 'leaf-a', 'leaf-b']), maxLevels: 6 });
    expect(tasksOf(levels)).toEqual([['mid:build-cpu', 'mid:build-gpu'], ['leaf-a:build-cpu', 'leaf-a:build-gpu', 'leaf-b:build-cpu']]);
    expect(unselected.map((job) => job.task)).toEqual(['gen:build-gpu', 'root:build-cpu', 'root:build-gpu']);
  });

  it('selects nothing when no image project is affected: everything is retagged', () => {
    const { levels, unselected } = computeImageLevels(FAMILY, { selected: new Set(['tooling']), maxLevels: 6 });
    expect(levels).toEqual([]);
    expect(unselected).toHaveLength(8);
  });

  it('orders a selected image after a selected ancestor even through an unselected image between them', () => {
    const graph = graphOf({ 'a:build-cpu': [], 'b:build-cpu': ['a:build-cpu'], 'c:build-cpu': ['b:build-cpu'] });
    const { levels } = computeImageLevels(graph, { selected: new Set(['a', 'c']), maxLevels: 6 });
    expect(tasksOf(levels)).toEqual([['a:build-cpu'], ['c:build-cpu']]);
  });

  it('runs the container tests only of the asked streams, and only where the project has them', () => {
    const jobs = flattenLevels(computeImageLevels(FAMILY, { maxLevels: 6, testStreams: ['cpu'] }).levels);
    expect(Object.fromEntries(jobs.map((job) => [job.task, job.test]))).toEqual({
      'gen:build-gpu': '',
      'root:build-cpu': 'root:test-cpu',
      'root:build-gpu': '',
      'mid:build-cpu': '',
      'mid:build-gpu': '',
      'leaf-a:build-cpu': '',
      'leaf-a:build-gpu': '',
      'leaf-b:build-cpu': 'leaf-b:test-cpu',
    });
  });

  it('follows parents through non-image tasks, and prepares those tasks dependencies first', () => {
    const graph = graphOf({
      'p:build-cpu': [],
      'c:build-cpu': ['c:render'],
      'c:render': ['c:fetch', 'p:build-cpu'],
      'c:fetch': [],
    });
    const job = flattenLevels(computeImageLevels(graph, { maxLevels: 6 }).levels).find((j) => j.task === 'c:build-cpu')!;
    expect(job).toMatchObject({ parents: 'p:build-cpu', prepare: 'c:fetch c:render' });
  });

  it('ignores other targets and configured (plan) tasks', () => {
    const graph = graphOf({ 'a:build-cpu': [], 'a:lint': [], 'a:build-cpu:plan': [], 'a:test-cpu': ['a:build-cpu'] });
    expect(tasksOf(computeImageLevels(graph, { maxLevels: 6 }).levels)).toEqual([['a:build-cpu']]);
  });

  it('refuses a hierarchy deeper than the workflow has level jobs, saying what to add', () => {
    expect(() => computeImageLevels(FAMILY, { maxLevels: 3 })).toThrow(
      /form 4 levels .* but the workflow has 3 level jobs: add level-3…level-3 jobs .* raise their --max-levels to 4/,
    );
  });

  it('names a cycle', () => {
    const graph = graphOf({ 'a:build-cpu': ['b:build-cpu'], 'b:build-cpu': ['a:build-cpu'] });
    expect(() => computeImageLevels(graph, { maxLevels: 6 })).toThrow(/cycle \(a:build-cpu -> b:build-cpu -> a:build-cpu\)/);
  });
});

describe('task ids', () => {
  it('knows the build targets of the streams', () => {
    expect(streamOfBuildTarget('build-cpu')).toBe('cpu');
    expect(streamOfBuildTarget('build-gpu')).toBe('gpu');
    expect(streamOfBuildTarget('build')).toBeNull();
  });

  it('parses build tasks and rejects anything else with the expected form', () => {
    expect(parseBuildTask('machine-learning:build-gpu')).toEqual({ project: 'machine-learning', stream: 'gpu', target: 'build-gpu' });
    expect(() => parseBuildTask('base:lint')).toThrow(/"base:lint" is not an image build task: expected <project>:build-cpu\|build-gpu/);
    expect(() => parseBuildTask(':build-cpu')).toThrow(/not an image build task/);
    expect(() => parseBuildTask('build-cpu')).toThrow(/not an image build task/);
  });

  it('splits task lists as workflows pass them', () => {
    expect(splitTaskList(' a:build-cpu  b:build-gpu,c:build-cpu\n')).toEqual(['a:build-cpu', 'b:build-gpu', 'c:build-cpu']);
    expect(splitTaskList('')).toEqual([]);
    expect(splitTaskList(undefined)).toEqual([]);
  });
});
