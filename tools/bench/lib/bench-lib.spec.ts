import { benchGraphFrom, criticalPath, topologicalOrder, type NxGraphFile } from './graph';
import { benchDockerfile } from './fixtures';
import { pulledBytes } from './registry-log';
import { evaluateTargets, formatTable, median, type ScenarioResult } from './report';

/** The shape `nx graph --file` gives for this workspace, trimmed. */
const graphFile: NxGraphFile = {
  graph: {
    nodes: Object.fromEntries(
      [
        ['gpu-upstream', 'upstream-equivalent-notebook'],
        ['base', 'base-notebook'],
        ['minimal', 'minimal-notebook'],
        ['machine-learning', 'machine-learning-notebook'],
        ['geomatics', 'geomatics-notebook'],
        ['r-studio', 'r-studio'],
      ].map(([name, imageName]) => [name, { name, data: { root: `images/${name}`, metadata: { imageName } } }]),
    ),
    dependencies: {
      'gpu-upstream': [],
      base: [{ source: 'base', target: 'gpu-upstream' }],
      minimal: [{ source: 'minimal', target: 'base' }],
      'machine-learning': [{ source: 'machine-learning', target: 'minimal' }],
      geomatics: [{ source: 'geomatics', target: 'minimal' }],
      'r-studio': [{ source: 'r-studio', target: 'minimal' }],
    },
  },
};
const cpuProjects = ['machine-learning', 'geomatics', 'r-studio', 'minimal', 'base'];

describe('bench graph', () => {
  it('orders the projects with the target parents first, ignoring parents without it', () => {
    const graph = benchGraphFrom(cpuProjects, graphFile, 'build-cpu');
    expect(graph.order).toEqual(['base', 'minimal', 'geomatics', 'machine-learning', 'r-studio']);
    expect(graph.leaves).toEqual(['geomatics', 'machine-learning', 'r-studio']);
    expect(graph.images.base.parents).toEqual([]);
    expect(graph.images.geomatics).toEqual({ project: 'geomatics', root: 'images/geomatics', imageName: 'geomatics-notebook', parents: ['minimal'] });
  });

  it('names a cycle', () => {
    expect(() => topologicalOrder({ a: { parents: ['b'] }, b: { parents: ['a'] } })).toThrow(/cycle among: a, b/);
  });

  it('finds the longest chain of build durations', () => {
    const graph = benchGraphFrom(cpuProjects, graphFile, 'build-cpu');
    const path = criticalPath(graph, { base: 3, minimal: 4, geomatics: 2, 'machine-learning': 6, 'r-studio': 5 });
    expect(path).toEqual({ seconds: 13, chain: ['base', 'minimal', 'machine-learning'] });
    expect(() => criticalPath(graph, { base: 1 })).toThrow(/no build duration for minimal/);
  });
});

describe('registry access log', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const line = (repository: string, status: number, bytes: number, method = 'GET') =>
    `127.0.0.1 - - [26/Nov/2026:21:37:46 +0000] "${method} /v2/${repository}/blobs/${digest} HTTP/1.1" ${status} ${bytes} "" "containers/5.23.1"`;

  it('sums the blob bytes served from the bench namespace only', () => {
    const log = [
      line('bench-x/baseline/base-notebook-cpu', 200, 1000),
      line('bench-x/baseline/base-notebook-cpu', 206, 24),
      line('bench-x/minimal-notebook-cpu', 200, 500),
      line('bench-x/minimal-notebook-cpu', 404, 19),
      line('bench-x/minimal-notebook-cpu', 200, 777, 'HEAD'),
      line('e2e/base-notebook-cpu', 200, 9999),
      line('bench-xy/base-notebook-cpu', 200, 9999),
      `127.0.0.1 - - [26/Nov/2026:21:37:46 +0000] "GET /v2/bench-x/minimal-notebook-cpu/manifests/latest HTTP/1.1" 200 1409 "" "x"`,
    ].join('\n');
    expect(pulledBytes(log, 'bench-x')).toEqual({
      bytes: 1524,
      blobs: 3,
      byRepository: { 'bench-x/baseline/base-notebook-cpu': 1024, 'bench-x/minimal-notebook-cpu': 500 },
    });
  });
});

describe('report', () => {
  const result = (scenario: ScenarioResult['scenario'], fields: Partial<ScenarioResult> = {}): ScenarioResult => ({
    scenario,
    rebuilt: [],
    wall_s: 1,
    pulled_bytes: 0,
    baseline_wall_s: 1,
    baseline_pulled_bytes: 0,
    ...fields,
  });

  it('judges the four targets', () => {
    const results = [
      result('cold', { wall_s: 11 }),
      result('noop', { wall_s: 0.7 }),
      result('leaf-change', { rebuilt: ['geomatics'] }),
      result('minimal-change'),
      result('fresh-runner', { baseline_pulled_bytes: 100 }),
    ];
    const inputs = { nxVersionSeconds: 0.25, criticalPathSeconds: 10, criticalPath: ['base'], baselineRepositoriesPulled: 5, baselineRepositories: 5 };
    expect(evaluateTargets(results, inputs).map((target) => target.pass)).toEqual([true, true, true, true]);
    const worse = [
      result('cold', { wall_s: 13 }),
      result('noop', { wall_s: 0.8 }),
      result('leaf-change', { rebuilt: ['geomatics', 'minimal'] }),
      result('minimal-change'),
      result('fresh-runner', { pulled_bytes: 1 }),
    ];
    expect(evaluateTargets(worse, inputs).map((target) => target.pass)).toEqual([false, false, false, false]);
    expect(evaluateTargets(results, { ...inputs, baselineRepositoriesPulled: 4 })[3].pass).toBe(false);
  });

  it('formats an aligned table and takes medians', () => {
    expect(formatTable(['a', 'bb'], [['xyz', '1']])).toBe('| a   | bb |\n|-----|----|\n| xyz | 1  |');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});

describe('bench Dockerfile', () => {
  it('keeps the fixture contract and adds the configured work; a revision changes it', () => {
    const text = benchDockerfile('minimal', { layerMb: 20, runSeconds: 2 });
    expect(text).toBe(
      'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nRUN echo minimal >> /lineage && mkdir -p /opt && dd if=/dev/urandom of=/opt/minimal.bin bs=1M count=20 2>/dev/null && sleep 2\n',
    );
    expect(benchDockerfile('minimal', { layerMb: 20, runSeconds: 2 }, 2)).toContain('RUN echo minimal-v2 >> /lineage');
  });
});
