import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readBenchGraph, type BenchGraph } from '../bench/lib/graph';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { notebookFixtureDockerfile, pushNotebookFixtureUpstream } from './support/notebook-fixtures';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn, tasksRun } from './support/records';
import { nxBinary } from '../ci/lib/nx-cli';
import { lockPaths } from '@kubeflow-images/plugin-lib/run-lock/workspace-lock';
import { createTempWorkspace, expectNxSuccess, NX_TEST_ENV, type TempWorkspace } from './support/temp-workspace';

/**
 * What a run leaves when something outside it goes wrong, on real podman:
 * a broken or missing entry in the Nx cache. One fixture workspace, built
 * once; the cases run in order and each leaves it sound.
 */
const TARGET = 'build-cpu';
const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;

jest.setTimeout(900_000);

let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let graph: BenchGraph;
/** An image with a parent and children: the one whose cached record the cases break. */
let middle: string;
let children: string[];
let edits = 0;

function runBuilds(args: string[] = ['run-many', '-t', TARGET]): { output: string; ran: string[] } {
  const result = workspace.nx([...args, '--output-style=static', '--parallel=3'], machine.env);
  expectNxSuccess(result);
  return { output: result.output, ran: tasksRun(result.output, TARGET) };
}

/** A change to each child of `middle`, so the next run builds them (on middle's record) while middle replays from the Nx cache. */
function changeChildren(): void {
  edits++;
  for (const child of children) workspace.write(`${graph.images[child].root}/Dockerfile`, notebookFixtureDockerfile(`${child}-${edits}`));
  workspace.commit(`change the children of ${middle} (${edits})`);
}

/** Starts Nx without waiting for it, as a second terminal or CI job would. */
function startNx(args: string[]): Promise<{ status: number | null; output: string }> {
  const child = spawn(nxBinary(workspace.root), [...args, '--output-style=static', '--parallel=3'], {
    cwd: workspace.root,
    env: { ...process.env, ...NX_TEST_ENV, ...machine.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output })));
}

/** A change to every image, so the next run builds them all. */
function changeAll(): void {
  edits++;
  for (const project of graph.order) workspace.write(`${graph.images[project].root}/Dockerfile`, notebookFixtureDockerfile(`${project}-${edits}`));
  workspace.commit(`change every image (${edits})`);
}

const WAITING = /another run in this workspace \(nx run-many -t build-cpu[^)]*\) is writing the build records: waiting for it to finish/;

/** How many times a run's output says the engine made `image`. */
function engineBuilds(output: string, image: string): number {
  return output.split('\n').filter((line) => line.includes(`record: ${image}`) && line.includes('made by an engine build')).length;
}

async function lockTaken(): Promise<void> {
  const { lock } = lockPaths(workspace.root);
  for (let waited = 0; !existsSync(lock); waited += 100) {
    if (waited > 120_000) throw new Error(`${lock} never appeared: the first run took no lock`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Files under `dir`, recursively, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile());
}

/** The copy of `project`'s record in the Nx cache (the entry the last run that ran it stored). */
function cachedRecord(project: string): string {
  const cache = join(workspace.root, '.nx', 'cache');
  const suffix = join('dist', 'images', project, 'cpu.json');
  const copies = filesUnder(cache)
    .filter((path) => path.endsWith(suffix))
    .map((path) => join(cache, path))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (copies.length === 0) throw new Error(`no cached copy of ${suffix} under ${relative(workspace.root, cache)}`);
  return copies[0];
}

/** Every record of the run is whole, names the image a fresh plan names, and each child names its parent's image. */
function expectRecordsSound(): void {
  const real = Object.fromEntries(graph.order.map((project) => [project, readRecordIn(workspace.root, project)]));
  for (const project of graph.order) {
    expect({ project, planned: real[project]?.planned, image: typeof real[project]?.image }).toEqual({ project, planned: false, image: 'string' });
    const parent = graph.images[project].parents[0];
    if (parent) expect({ project, parent: real[project]!.parent }).toEqual({ project, parent: real[parent]!.image });
  }
}

beforeAll(() => {
  services = readE2eServices();
  machine = createPodmanMachine(services);
  const upstream = `${services.registry}/run-faults-${RUN_ID}-upstream/notebook:fixture-commit`;
  const upstreamDigest = pushNotebookFixtureUpstream(machine, upstream);
  workspace = createTempWorkspace('kf-run-faults-');
  workspace.write('build_settings.env', fixtureBuildSettings(upstream));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, upstreamDigest));
  graph = readBenchGraph(workspace, TARGET);
  middle = graph.order.find((project) => graph.images[project].parents.length > 0 && graph.order.some((other) => graph.images[other].parents[0] === project))!;
  if (!middle) throw new Error('the image graph has no image with both a parent and children');
  children = graph.order.filter((project) => graph.images[project].parents[0] === middle);
  for (const project of graph.order) workspace.write(`${graph.images[project].root}/Dockerfile`, notebookFixtureDockerfile(project));
  workspace.commit('fixture images');
  expect(runBuilds().ran.sort()).toEqual([...graph.order].sort());
});

afterAll(() => {
  workspace?.remove();
  try {
    machine?.podman(['unmount', '--all']);
  } catch {
    // Nothing mounted.
  }
  machine?.remove();
});

describe('a broken Nx cache entry heals without nx reset', () => {
  it('a truncated record in the Nx cache: the children re-derive it and build on the real image', () => {
    const cached = cachedRecord(middle);
    const whole = readFileSync(cached, 'utf8');
    writeFileSync(cached, whole.slice(0, whole.length / 2));
    changeChildren();
    const run = runBuilds();
    expect(run.ran.sort()).toEqual([...children].sort());
    expect(run.output).toContain(`build record of ${middle} (cpu)`);
    expect(run.output).toMatch(new RegExp(`${middle} \\(cpu\\) \\S+ is not valid JSON: re-deriving it`));
    expect(readRecordIn(workspace.root, middle)).toMatchObject({ project: middle, source: 'local', planned: false });
    expectRecordsSound();
    // The next change builds on it again: the broken entry is still replayed, and healed again.
    changeChildren();
    runBuilds();
    expectRecordsSound();
  });

  it('a cached output deleted from the Nx cache: on a fresh checkout the children re-derive the record the replay left out', () => {
    rmSync(cachedRecord(middle));
    // A fresh checkout with this cache (copied from another machine, or restored in CI) has no dist/ of its own.
    rmSync(join(workspace.root, 'dist'), { recursive: true, force: true });
    changeChildren();
    const run = runBuilds();
    expect(run.ran.sort()).toEqual([...children].sort());
    expect(run.output).toMatch(new RegExp(`${middle} \\(cpu\\) \\S+ is missing: re-deriving it`));
    expectRecordsSound();
  });
});

describe('one run per workspace', () => {
  it('two run-many at once: one waits, saying so; every image is built once and the records agree', async () => {
    changeAll();
    const [first, second] = await Promise.all([startNx(['run-many', '-t', TARGET]), startNx(['run-many', '-t', TARGET])]);
    expectNxSuccess(first);
    expectNxSuccess(second);
    expect([first.output, second.output].filter((output) => WAITING.test(output))).toHaveLength(1);
    for (const project of graph.order) {
      const image = readRecordIn(workspace.root, project)!.image;
      expect({ project, builds: engineBuilds(first.output, image) + engineBuilds(second.output, image) }).toEqual({ project, builds: 1 });
    }
    expectRecordsSound();
  });

  it('a plan started during a real build waits for it, so the build never finds a planned record', async () => {
    changeAll();
    const real = startNx(['run-many', '-t', TARGET]);
    await lockTaken();
    const plan = await startNx(['run-many', '-t', TARGET, '-c', 'plan', '--skip-nx-cache']);
    const built = await real;
    expectNxSuccess(built);
    expectNxSuccess(plan);
    expect(plan.output).toMatch(WAITING);
    expect(built.output).not.toMatch(/planned record/);
    // The plan ran after the build: its records are plans of the same images.
    const planned = Object.fromEntries(graph.order.map((project) => [project, readRecordIn(workspace.root, project)!]));
    for (const project of graph.order) expect(planned[project]).toMatchObject({ planned: true });
    runBuilds();
    expectRecordsSound();
    for (const project of graph.order) expect(readRecordIn(workspace.root, project)!.image).toBe(planned[project].image);
  });
});
