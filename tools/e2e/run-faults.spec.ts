import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { join, relative } from 'node:path';
import { readBenchGraph, type BenchGraph } from '../bench/lib/graph';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { notebookFixtureDockerfile, pushNotebookFixtureUpstream } from './support/notebook-fixtures';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn, tasksRun } from './support/records';
import { registryClientFor } from './support/registry-api';
import { nxBinary } from '../ci/lib/nx-cli';
import { lockPaths } from '@kubeflow-images/plugin-lib/run-lock/workspace-lock';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, NX_TEST_ENV, type TempWorkspace } from './support/temp-workspace';

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

interface RunningNx {
  pid: number;
  /** What it printed so far. */
  output(): string;
  exited: Promise<{ status: number | null; output: string }>;
}

/** Starts Nx without waiting for it, as a second terminal or CI job would, in a process group of its own (as a terminal runs it). */
function launchNx(args: string[], env: NodeJS.ProcessEnv = {}, ws: TempWorkspace = workspace): RunningNx {
  const child = spawn(nxBinary(ws.root), [...args, '--output-style=static', '--parallel=3'], {
    cwd: ws.root,
    env: { ...process.env, ...NX_TEST_ENV, ...machine.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ status: number | null; output: string }>((resolve) => child.on('close', (status, signal) => resolve({ status: status ?? (signal ? -1 : null), output })));
  return { pid: child.pid!, output: () => output, exited };
}

const startNx = (args: string[], env: NodeJS.ProcessEnv = {}) => launchNx(args, env).exited;

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

/** The image the push cases build: a root, so a run of it alone is short. */
const slow = () => graph.order[0];

/**
 * The registry behind a proxy of the test's own that holds pushes: each blob
 * upload for a while, so a signal lands while a push is under way (a local
 * registry takes an image faster than a test can aim at it); and, when told,
 * manifest PUTs until several pushes reached them, so the pushes overlap
 * exactly, then lets them land one at a time.
 */
interface SlowRegistry {
  host: string;
  /** Blob uploads held so far. */
  uploads(): number;
  /** Holds the next `pushes` manifest PUTs (at most two minutes) until all arrived, then forwards them in arrival order, each `gapMs` after the last one's answer. */
  overlapPushes(pushes: number, gapMs: number): void;
  close(): Promise<void>;
}

async function startSlowRegistry(registry: string): Promise<SlowRegistry> {
  const [host, port] = registry.split(':');
  let uploads = 0;
  let overlap: { pushes: number; gapMs: number; held: Array<() => Promise<void>>; timer?: NodeJS.Timeout } | null = null;
  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((answered) => {
      res.on('close', () => answered());
      const upstream = request({ host: host === 'localhost' ? '127.0.0.1' : host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  const land = async (held: Array<() => Promise<void>>, gapMs: number) => {
    for (const [index, put] of held.entries()) {
      if (index > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      await put();
    }
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (overlap && req.method === 'PUT' && url.includes('/manifests/')) {
      const current = overlap;
      current.held.push(() => forward(req, res));
      const release = () => {
        clearTimeout(current.timer);
        if (overlap === current) overlap = null;
        void land(current.held, current.gapMs);
      };
      if (current.held.length === 1) current.timer = setTimeout(release, 120_000);
      if (current.held.length === current.pushes) release();
    } else if (/\/blobs\/uploads\//.test(url) && req.method !== 'POST') {
      uploads++;
      setTimeout(() => void forward(req, res), 3000);
    } else void forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    uploads: () => uploads,
    overlapPushes: (pushes, gapMs) => void (overlap = { pushes, gapMs, held: [] }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let slowRegistry: SlowRegistry;

/** Lets `podman` reach the slow registry with the login it has for the registry behind it. */
function reachSlowRegistry(podman: PodmanMachine): void {
  appendFileSync(podman.env.CONTAINERS_REGISTRIES_CONF!, `\n[[registry]]\nlocation = "${slowRegistry.host}"\ninsecure = true\n`);
  const auth = JSON.parse(readFileSync(podman.env.REGISTRY_AUTH_FILE!, 'utf8'));
  auth.auths[slowRegistry.host] = auth.auths[services.registry];
  writeFileSync(podman.env.REGISTRY_AUTH_FILE!, JSON.stringify(auth));
}

/** A run that pushes to the slow registry, with no layer cache to keep the push to the image itself. */
const pushToSlowRegistry = () => ({ IMAGE_REGISTRY: `${slowRegistry.host}/run-faults-${RUN_ID}`, IMAGE_PUSH: 'true', IMAGE_LAYER_CACHE: 'false' });

beforeAll(async () => {
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
  slowRegistry = await startSlowRegistry(services.registry);
  reachSlowRegistry(machine);
});

afterAll(async () => {
  await slowRegistry?.close();
  workspace?.remove();
  // A RUN step a killed build started runs on to its end, holding its layer mounted: give it that long.
  for (let attempt = 0; attempt < 30; attempt++) {
    try {
      machine?.podman(['unmount', '--all']);
      machine?.remove();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  console.warn(`left ${machine?.dir}: still in use`);
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
    // A real run after the plan replays its builds from the Nx cache; the planned records left in place are re-derived.
    const after = await startNx(['run-many', '-t', TARGET]);
    expectNxSuccess(after);
    expectRecordsSound();
  });
});

describe('no debris: an interrupted build or push leaves no working container and no temp file', () => {
  /** The runs' TMPDIR, the test's own: anything in it was left by a run. */
  let tmpdir: string;

  beforeEach(() => {
    tmpdir = mkdtempSync(join(machine.dir, 'tmpdir-'));
  });

  /** What runs left in their TMPDIR; Node's compile cache (it speeds up every Nx start) is kept there on purpose. */
  const tempFiles = () => readdirSync(tmpdir).filter((name) => name !== 'node-compile-cache');

  /** podman's working containers in the suite's own storage: every one was made by a build of this suite. */
  const workingContainers = () => machine.podman(['ps', '--all', '--external', '--format', '{{.ID}} {{.Names}}']).split('\n').filter(Boolean);

  function writeSlowImage(marker: string, rootRun: string): void {
    workspace.write(`${graph.images[slow()].root}/Dockerfile`, notebookFixtureDockerfile(marker, { rootRun }));
    workspace.commit(`${slow()}: ${marker}`);
  }

  async function until(what: string, ready: () => boolean, run: RunningNx): Promise<void> {
    for (let waited = 0; !ready(); waited += 100) {
      if (waited > 180_000) throw new Error(`${what} never happened:\n${run.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts a build of the slow image that runs `rootRun`, waits until `phase` is under way, and sends `signal` as a terminal (SIGINT, SIGKILL: the whole process group) or a CI runner (SIGTERM: Nx) does. */
  async function interrupt(phase: 'build' | 'push', signal: NodeJS.Signals): Promise<{ status: number | null; output: string }> {
    edits++;
    const marker = `${slow()}-${phase}-${edits}`;
    writeSlowImage(marker, phase === 'build' ? 'echo the slow step runs && sleep 15' : 'head -c 20000000 /dev/urandom > /opt/noise');
    const env = phase === 'push' ? { TMPDIR: tmpdir, ...pushToSlowRegistry() } : { TMPDIR: tmpdir };
    const run = launchNx(['run', `${slow()}:${TARGET}`], env);
    // A RUN step's own process ignores SIGTERM (it is its container's init): the signal lands while it runs.
    if (phase === 'build') await until('the slow RUN step', () => /\| the slow step runs\s*$/m.test(run.output()), run);
    else {
      const before = slowRegistry.uploads();
      await until('an upload', () => slowRegistry.uploads() > before, run);
    }
    process.kill(signal === 'SIGTERM' ? run.pid : -run.pid, signal);
    const result = await run.exited;
    expect({ phase, signal, interrupted: result.status !== 0 }).toEqual({ phase, signal, interrupted: true });
    return result;
  }

  it.each([
    ['build', 'SIGINT'],
    ['push', 'SIGINT'],
    ['build', 'SIGTERM'],
    ['push', 'SIGTERM'],
  ] as const)('%s interrupted by %s', async (phase, signal) => {
    await interrupt(phase, signal);
    expect(workingContainers()).toEqual([]);
    expect(tempFiles()).toEqual([]);
  });

  it('what a SIGKILL left, the next run removes and counts', async () => {
    await interrupt('build', 'SIGKILL');
    const left = workingContainers();
    expect(left.length).toBeGreaterThan(0);
    expect(tempFiles().filter((name) => name.startsWith('kubeflow-images-'))).toHaveLength(1);
    writeSlowImage(`${slow()}-after-kill`, 'true');
    const run = workspace.nx(['run', `${slow()}:${TARGET}`, '--output-style=static'], { ...machine.env, TMPDIR: tmpdir });
    expectNxSuccess(run);
    expect(run.output).toMatch(
      new RegExp(`removed what an earlier run of this workspace left when it was killed \\(pid \\d+\\): ${left.length} working containers?, 1 temp folder in ${tmpdir}`),
    );
    expect(workingContainers()).toEqual([]);
    expect(tempFiles()).toEqual([]);
  });
});


describe('two runners push the same content tag at once', () => {
  it("both records name the digest the registry's tag names, and both storages hold that image", async () => {
    edits++;
    const marker = `${slow()}-two-runners-${edits}`;
    // Random bytes: each runner's build makes an image of its own, so the two pushes carry different digests.
    workspace.write(`${graph.images[slow()].root}/Dockerfile`, notebookFixtureDockerfile(marker, { rootRun: 'head -c 1000000 /dev/urandom > /opt/noise' }));
    workspace.commit(`${slow()}: ${marker}`);
    // A second CI runner: a clone with its own Nx cache and its own podman storage.
    const clone = cloneTempWorkspace(workspace, 'kf-run-faults-clone-');
    const runner = createPodmanMachine(services);
    reachSlowRegistry(runner);
    try {
      // Each build finds the tag absent before and just before its push; the later manifest lands a few seconds after the first.
      slowRegistry.overlapPushes(2, 3000);
      // podman whatever E2E_ENGINE says: each runner needs a storage of its own, and podman says which digest it pushed.
      const env = { ...pushToSlowRegistry(), IMAGE_ENGINE: 'podman' };
      const runs = await Promise.all([
        launchNx(['run', `${slow()}:${TARGET}`], env).exited,
        launchNx(['run', `${slow()}:${TARGET}`], { ...runner.env, ...env }, clone).exited,
      ]);
      for (const run of runs) expectNxSuccess(run);
      const records = [readRecordIn(workspace.root, slow())!, readRecordIn(clone.root, slow())!];
      const image = records[0].image;
      expect(records[1].image).toBe(image);
      const tagDigest = await registryClientFor(machine).manifestDigest(image);
      expect(tagDigest).toMatch(/^sha256:/);
      expect(records.map((record) => record.digest)).toEqual([tagDigest, tagDigest]);
      // Both pushed, different images: the runner whose manifest landed first says so, naming its own digest.
      const lost = runs.flatMap((run) => [...run.output.matchAll(/another runner pushed the same content tag at the same time, and its push won \(this one pushed (sha256:[0-9a-f]+)\)/g)].map((match) => match[1]));
      expect(lost).toHaveLength(1);
      expect(lost[0]).not.toBe(tagDigest);
      // Each storage holds the tag's image under the content tag, and each record names it.
      const ids = [machine, runner].map((podman) => podman.podman(['image', 'inspect', '--format', '{{.Id}}', image]));
      expect(ids[1]).toBe(ids[0]);
      expect(records.map((record) => record.imageId)).toEqual(ids);
    } finally {
      clone.remove();
      runner.remove();
    }
  });
});
