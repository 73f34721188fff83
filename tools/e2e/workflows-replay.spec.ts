/**
 * main.yml replayed with podman against a real registry, each job on a fresh
 * clone with empty engine storage (a fresh runner): level jobs push content
 * tags only and hand over their tested record; the promote job then moves
 * every human tag at once. A commit whose level-1 job fails moves nothing.
 * (Container tests themselves are not replayed: podman cannot run containers
 * here; tools/e2e/container-tests.spec.ts covers test-cpu.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { toImageGraph, type ImageGraph } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { resolveParent } from '../nx-plugin/src/lib/hierarchy/resolve-parent';
import type { BuildRecord } from '../nx-plugin/src/lib/records/build-record';
import { loadBuildSettings } from '../nx-plugin/src/lib/settings/build-settings';
import type { ImageJob } from '../ci/lib/image-levels';
import { registryClientFor } from './support/registry-api';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { e2eEngine } from './support/e2e-engine';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn } from './support/records';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, git, runNx, type TempWorkspace } from './support/temp-workspace';
import { buildTasks, ciScript, ciScriptResult, levelJobs, levelsOf, loadWorkflow } from './support/workflows';

jest.setTimeout(900_000);

const UPSTREAM = 'fixtures/wf-datascience-notebook:fixture-commit';
let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let images: ImageGraph;
let cpuImages: string[];
let prefix: string;
let tested: string;
const maxLevels = () => levelJobs(loadWorkflow('main.yml')).maxLevels;
const MAIN = { GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' };

function onFreshRunner<T>(run: (root: string, env: NodeJS.ProcessEnv) => T): T {
  const clone = cloneTempWorkspace(workspace, 'kf-wf-runner-');
  const runner = createPodmanMachine(services);
  try {
    return run(clone.root, { ...runner.env, ...MAIN });
  } finally {
    clone.remove();
    rmSync(runner.dir, { recursive: true, force: true });
  }
}

function expectNx(root: string, args: string[], env: NodeJS.ProcessEnv): void {
  expectNxSuccess(runNx(root, [...args, '--output-style=static'], env));
}

/** build-image.yml for one matrix entry: content tag only, pinned to the pushed digest, passed record handed over. */
function buildImageJob(job: ImageJob): BuildRecord {
  return onFreshRunner((root, env) => {
    if (job.parents) ciScript(root, 'materialise.ts', ['--tasks', job.parents], env);
    for (const task of job.prepare.split(' ').filter(Boolean)) expectNx(root, ['run', task, '--excludeTaskDependencies'], env);
    expectNx(root, ['run', job.task, '--excludeTaskDependencies'], { ...env, IMAGE_PUSH: 'true', IMAGE_HUMAN_TAGS: 'false' });
    expect(readRecordIn(root, job.project)!.tags).toEqual([readRecordIn(root, job.project)!.image]);
    ciScript(root, 'materialise.ts', ['--tasks', job.task], env);
    const record = readRecordIn(root, job.project)!;
    writeFileSync(join(tested, `${job.project}-${job.stream}.json`), JSON.stringify(record));
    return record;
  });
}

/** plan, then the level jobs in order; a failing job stops the later levels, as `needs` does. */
function runLevels(planEnv: NodeJS.ProcessEnv, planArgs: string[] = []): { outputs: Record<string, string>; records: Map<string, BuildRecord>; failed: string | null; error?: string } {
  rmSync(tested, { recursive: true, force: true });
  mkdirSync(tested);
  const outputs = onFreshRunner((root, env) => ciScript(root, 'plan.ts', ['--max-levels', String(maxLevels()), '--streams', 'cpu', ...planArgs], { ...env, ...planEnv }));
  const records = new Map<string, BuildRecord>();
  for (const level of levelsOf(outputs, maxLevels())) {
    for (const job of level) {
      try {
        records.set(job.project, buildImageJob(job));
      } catch (error) {
        return { outputs, records, failed: job.task, error: String(error).slice(-3000) };
      }
    }
  }
  return { outputs, records, failed: null };
}

function promote(outputs: Record<string, string>) {
  return onFreshRunner((root, env) =>
    ciScriptResult(root, 'promote.ts', ['--default-branch', 'main', '--built', outputs['built-tasks'], '--unchanged', outputs['retag-tasks'], '--tested', tested], env),
  );
}

const repository = (project: string) => `${prefix}/${images[project].imageName}-cpu`;
async function tagDigests(tag: string): Promise<Record<string, string | null>> {
  const registry = registryClientFor(machine);
  const result: Record<string, string | null> = {};
  for (const project of cpuImages) result[project] = await registry.manifestDigest(`${repository(project)}:${tag}`);
  return result;
}
const blobGets = () =>
  existsSync(services.accessLog) ? readFileSync(services.accessLog, 'utf8').split('\n').filter((line) => /"GET \/v2\/[^"]*\/blobs\//.test(line)).length : 0;

beforeAll(async () => {
  services = readE2eServices();
  machine = createPodmanMachine(services);
  const upstreamDigest = pushFixtureUpstream(machine, `${services.registry}/${UPSTREAM}`);
  process.env.NX_DAEMON = 'false';
  images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  cpuImages = buildTasks(images, ['cpu']).map((task) => task.split(':')[0]);
  prefix = `${services.registry}/wf-${Date.now().toString(36)}`;
  tested = mkdtempSync(join(tmpdir(), 'kf-tested-'));
  workspace = createTempWorkspace('kf-wf-fanout-');
  workspace.write('build_settings.env', fixtureBuildSettings(`${services.registry}/${UPSTREAM}`).replace(/^IMAGE_REGISTRY=.*$/m, `IMAGE_REGISTRY=${prefix}`));
  workspace.write('upstream-lock.json', fixtureCpuLock(`${services.registry}/${UPSTREAM}`, upstreamDigest));
  for (const project of cpuImages) workspace.write(`${images[project].root}/Dockerfile`, fixtureDockerfile(project));
  workspace.commit('fixture Dockerfiles');
  expect(e2eEngine()).toBeDefined();
}, 300_000);

afterAll(() => {
  workspace?.remove();
  if (machine) rmSync(machine.dir, { recursive: true, force: true });
  if (tested) rmSync(tested, { recursive: true, force: true });
});

// The image in the middle: it has a parent image and children (level 0 of a run that changes it).
const middle = () =>
  cpuImages.find((project) => {
    const parent = resolveParent(images, project, 'cpu', loadBuildSettings(workspace.root));
    return parent.kind === 'project' && cpuImages.some((other) => images[other].implicitDependencies.includes(project));
  })!;

it('the first run builds every image with its content tag only; promotion then tags every tested digest at once', async () => {
  const { outputs, records, failed } = runLevels({}, ['--all']);
  expect(failed).toBeNull();
  expect([...records.keys()].sort()).toEqual(cpuImages);
  expect(Object.values(await tagDigests('latest'))).toEqual(cpuImages.map(() => null));
  const result = promote(outputs);
  expect(result.status).toBe(0);
  const sha = git(workspace.root, 'rev-parse', 'HEAD');
  const latest = await tagDigests('latest');
  for (const project of cpuImages) {
    expect(`${project}: ${latest[project]}`).toBe(`${project}: ${records.get(project)!.digest}`);
    for (const tag of [sha, sha.slice(0, 7), 'main']) expect(`${project} ${tag}: ${(await tagDigests(tag))[project]}`).toBe(`${project} ${tag}: ${latest[project]}`);
  }
});

it('a commit whose level-1 job fails moves no human tag of any image, and promote.ts refuses it too', async () => {
  const before = await tagDigests('latest');
  const child = cpuImages.find((project) => images[project].implicitDependencies.includes(middle()))!;
  workspace.write(`${images[middle()].root}/Dockerfile`, fixtureDockerfile(`${middle()}-v2`));
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(`${child}-broken`, 'exit 1'));
  const sha = workspace.commit('change the middle image; break a child');
  const { outputs, failed } = runLevels({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
  expect(failed).toMatch(/:build-cpu$/);
  expect(levelsOf(outputs, maxLevels())[0].map((job) => job.project)).toEqual([middle()]);
  // The workflow skips promote after a failed level (!failure()); run anyway, it must refuse by itself.
  const result = promote(outputs);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/no passed container test recorded for .*nothing is promoted/);
  expect(await tagDigests('latest')).toEqual(before);
  expect(Object.values(await tagDigests(sha))).toEqual(cpuImages.map(() => null));
});

it('the fixed commit rebuilds what it affects, and promotion retags the rest without pulling a layer', async () => {
  const before = await tagDigests('latest');
  const child = cpuImages.find((project) => images[project].implicitDependencies.includes(middle()))!;
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(child));
  const sha = workspace.commit('fix the child');
  const { outputs, records, failed, error } = runLevels({ NX_BASE: 'HEAD~2', NX_HEAD: 'HEAD' });
  expect(`${failed}: ${error ?? ''}`).toBe('null: ');
  const blobsBefore = blobGets();
  expect(promote(outputs).status).toBe(0);
  expect(blobGets()).toBe(blobsBefore);
  const latest = await tagDigests('latest');
  const shaTags = await tagDigests(sha);
  for (const project of cpuImages) {
    expect(shaTags[project]).toBe(latest[project]);
    if (records.has(project)) expect(`${project}: ${latest[project]}`).toBe(`${project}: ${records.get(project)!.digest}`);
    else expect(`${project}: ${latest[project]}`).toBe(`${project}: ${before[project]}`);
  }
  expect(records.has(middle())).toBe(true);
});
