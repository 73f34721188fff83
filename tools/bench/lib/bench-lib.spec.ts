import { benchGraphFrom, criticalPath, topologicalOrder, type NxGraphFile } from './graph';
import { benchDockerfile } from './fixtures';
import { pulledBytes } from './registry-log';
import { allEngineCommandSeconds, BATCH_PROCESS, engineSecondsByProject, helperCpuByProject, parseEngineLog, taskCpuByProject } from './engine-log';
import { pooledOverheads, taskBreakdown } from './nx-runs';
import { evaluateTargets, formatTable, median, type ScenarioResult } from './report';
import { syntheticImages } from './synthetic-hierarchy';
import { scenarioGroupsFrom } from './context';

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

  const hierarchy = {
    nxVersionSeconds: 0.25,
    noopCiSeconds: 1.5,
    criticalPathSeconds: 10,
    criticalPath: ['base'],
    baselineRepositoriesPulled: 5,
    baselineRepositories: 5,
  };
  const inputs = {
    hierarchy,
    scale: [
      { scenario: 'scale-noop' as const, images: 60, wall_s: 1.8, reference_images: 5, reference_wall_s: 1, ratio: 1.8 },
      { scenario: 'scale-leaf-change' as const, images: 60, wall_s: 6, reference_images: 5, reference_wall_s: 5, ratio: 1.2 },
      { scenario: 'scale-plan' as const, images: 60, wall_s: 12, reference_images: 5, reference_wall_s: 3, ratio: 4 },
    ],
  };

  it('judges every target: overhead, noop, engine critical path, no slower than the scripts, fresh runner, scale', () => {
    const results = [
      result('cold', { wall_s: 11, baseline_wall_s: 12, overhead_s: 0.4 }),
      result('noop', { wall_s: 0.7 }),
      result('leaf-change', { rebuilt: ['geomatics'], overhead_s: 0.5 }),
      result('minimal-change'),
      result('fresh-runner', { baseline_pulled_bytes: 100, overhead_s: 0.3 }),
    ];
    const targets = evaluateTargets(results, inputs);
    expect(targets.filter((target) => !target.pass)).toEqual([]);
    expect(targets).toHaveLength(13);
    const worse = [
      result('cold', { wall_s: 13, overhead_s: 0.6 }),
      result('noop', { wall_s: 0.8 }),
      result('leaf-change', { rebuilt: ['geomatics', 'minimal'], wall_s: 2 }),
      result('minimal-change', { wall_s: 2 }),
      result('fresh-runner', { pulled_bytes: 1, wall_s: 2 }),
    ];
    const worseScale = inputs.scale.map((item) => ({ ...item, wall_s: item.wall_s * 2, ratio: item.ratio * 2 }));
    const judged = evaluateTargets(worse, { hierarchy: { ...hierarchy, noopCiSeconds: 1.8 }, scale: worseScale });
    expect(judged.filter((target) => target.pass)).toEqual([]);
    expect(evaluateTargets(results, { ...inputs, hierarchy: { ...hierarchy, baselineRepositoriesPulled: 4 } }).find((target) => target.target.startsWith('fresh-runner:'))!.pass).toBe(false);
  });

  it('judges the layer cache on a fresh runner against the classic builder and against the same build without the cache', () => {
    const base = [result('cold'), result('noop'), result('leaf-change', { rebuilt: ['a'] }), result('minimal-change'), result('fresh-runner')];
    const change = (fields: Partial<ScenarioResult>) =>
      evaluateTargets([...base, result('fresh-runner-change', { rebuilt: ['a'], wall_s: 6, pulled_bytes: 100, baseline_wall_s: 7, baseline_pulled_bytes: 120, nocache_wall_s: 10, ...fields })], inputs).filter((target) =>
        target.target.startsWith('fresh-runner-change:'),
      );
    expect(change({}).map((target) => target.pass)).toEqual([true, true, true]);
    expect(change({ wall_s: 7.5, pulled_bytes: 121 }).map((target) => target.pass)).toEqual([false, false, false]);
    expect(change({ nocache_wall_s: undefined }).map((target) => target.pass)).toEqual([true, true, false]);
    expect(change({ engine_commands_s: 3.456 })[0].measured).toBe('nx 6.00 s (its podman commands alone 3.46 s) vs classic builder 7.00 s');
  });

  it('leaves out the scale targets when the scale scenarios did not run, and misses overhead when no task ran', () => {
    const results = [result('cold'), result('noop'), result('leaf-change', { rebuilt: ['a'] }), result('minimal-change'), result('fresh-runner')];
    const targets = evaluateTargets(results, { ...inputs, scale: [] });
    expect(targets).toHaveLength(10);
    expect(targets[0]).toMatchObject({ pass: false, measured: 'no task ran' });
  });

  it('judges only the scenarios that ran when BENCH_ONLY left the others out', () => {
    const change = result('fresh-runner-change', { rebuilt: ['a'], wall_s: 6, pulled_bytes: 100, baseline_wall_s: 7, baseline_pulled_bytes: 120, nocache_wall_s: 10 });
    const targets = evaluateTargets([change], { hierarchy: null, scale: [] });
    expect(targets.map((target) => target.target.split(':')[0])).toEqual(['fresh-runner-change', 'fresh-runner-change', 'fresh-runner-change']);
    expect(evaluateTargets([], { hierarchy: null, scale: inputs.scale })).toHaveLength(3);
  });

  it('reads BENCH_ONLY as a list of scenario groups, all by default, and names an unknown one', () => {
    expect([...scenarioGroupsFrom(undefined)]).toEqual(['hierarchy', 'fresh-runner-change', 'scale', 'inspect']);
    expect([...scenarioGroupsFrom(' fresh-runner-change , scale')]).toEqual(['fresh-runner-change', 'scale']);
    expect(() => scenarioGroupsFrom('fresh-runner,scale')).toThrow(/BENCH_ONLY=fresh-runner,scale: fresh-runner is not a scenario group; use .*hierarchy, fresh-runner-change, scale, inspect/);
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

describe('engine time and overhead', () => {
  const logText = [
    'base version 100.00 100.05',
    'base build 100.10 103.10',
    'base image 103.20 103.25',
    'minimal build 104.00 106.00',
    'minimal push 106.00 106.50',
    '- image 107.00 107.10',
    'base task-cpu 108.00 108.75',
    '',
  ].join('\n');

  it("sums each task's build, push and pull time; probes and inspects are not engine work", () => {
    const seconds = engineSecondsByProject(parseEngineLog(logText));
    expect(Object.keys(seconds).sort()).toEqual(['base', 'minimal']);
    expect(seconds.base).toBeCloseTo(3);
    expect(seconds.minimal).toBeCloseTo(2.5);
    expect(taskCpuByProject(parseEngineLog(logText))).toEqual({ base: expect.closeTo(0.75) });
  });

  it('sums every podman command for what the engine alone took, leaving the processes\' own CPU time out', () => {
    expect(allEngineCommandSeconds(parseEngineLog(logText))).toBeCloseTo(0.05 + 3 + 0.05 + 2 + 0.5 + 0.1);
  });

  it('takes the median of wall minus engine over the tasks Nx ran, leaving cache hits out', () => {
    const breakdown = taskBreakdown(
      {
        base: { seconds: 4, status: 'success' },
        minimal: { seconds: 3.5, status: 'success' },
        geomatics: { seconds: 1.5, status: 'success' },
        'r-studio': { seconds: 0.01, status: 'local-cache' },
      },
      { base: 3, minimal: 2.5 },
      { base: 0.8, minimal: 0.6, geomatics: 0.7 },
    );
    expect(breakdown.overhead_cpu_s).toBeCloseTo(0.7);
    expect(Object.keys(breakdown.task_s).sort()).toEqual(['base', 'geomatics', 'minimal']);
    expect(breakdown.engine_s.geomatics).toBe(0);
    expect(breakdown.overhead_s).toBeCloseTo(1);
    expect(taskBreakdown({}, {}).overhead_s).toBeNull();
  });

  it('pools several runs of a scenario: overhead medians over the tasks of all of them', () => {
    const run = (seconds: number, engine: number, cpu: number) => taskBreakdown({ geomatics: { seconds, status: 'success' } }, { geomatics: engine }, { geomatics: cpu });
    expect(pooledOverheads([run(3.6, 3.0, 0.9), run(3.4, 3.0, 0.7), run(4.5, 3.1, 0.8)])).toEqual({ overhead_s: expect.closeTo(0.6), overhead_cpu_s: expect.closeTo(0.8) });
    expect(pooledOverheads([])).toEqual({ overhead_s: null, overhead_cpu_s: null });
  });

  it('splits the CPU time of batch processes equally among the tasks that ran in them', () => {
    const cpu = taskCpuByProject(parseEngineLog(['(batch) task-cpu 100.00 101.00', '(batch) task-cpu 102.00 102.50', ''].join('\n')));
    expect(cpu).toEqual({ [BATCH_PROCESS]: expect.closeTo(1.5) });
    const breakdown = taskBreakdown(
      { base: { seconds: 2, status: 'success' }, minimal: { seconds: 1, status: 'success' }, geomatics: { seconds: 0.01, status: 'local-cache' } },
      { base: 1.5 },
      cpu,
    );
    expect(breakdown.overhead_cpu_s).toBeCloseTo(0.75);
    expect(breakdown.overhead_s).toBeCloseTo(0.75);
  });

  it("adds the CPU time of a build's nx-container child to its task's", () => {
    const commands = parseEngineLog(['(batch) task-cpu 100.00 100.40', 'base helper-cpu 101.00 101.60', 'base build 100.50 101.50', ''].join('\n'));
    expect(helperCpuByProject(commands)).toEqual({ base: expect.closeTo(0.6) });
    const breakdown = taskBreakdown({ base: { seconds: 2, status: 'success' } }, engineSecondsByProject(commands), taskCpuByProject(commands), helperCpuByProject(commands));
    expect(breakdown.overhead_cpu_s).toBeCloseTo(1);
  });
});

describe('synthetic hierarchy', () => {
  it('grows the graph breadth first below its leaves to the size asked, three siblings each, depth at most 6', () => {
    const graph = benchGraphFrom(cpuProjects, graphFile, 'build-cpu');
    const added = syntheticImages(graph, 60);
    expect(added).toHaveLength(55);
    expect(new Set(added.map((image) => image.name)).size).toBe(55);
    const depth: Record<string, number> = { base: 1, minimal: 2, geomatics: 3, 'machine-learning': 3, 'r-studio': 3 };
    for (const image of added) depth[image.name] = depth[image.parent] + 1;
    expect(Math.max(...Object.values(depth))).toBe(6);
    const children = (parent: string) => added.filter((image) => image.parent === parent).length;
    expect(children('geomatics')).toBe(3);
    expect(Object.values(depth).filter((d) => d === 4)).toHaveLength(9);
    expect(() => syntheticImages(graph, 500)).toThrow(/holds \d+ images, not 500/);
  });
});
