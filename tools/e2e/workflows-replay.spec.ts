/**
 * main.yml replayed with podman against a real registry, each job on a fresh
 * clone with empty engine storage (a fresh runner): level jobs push content
 * tags only and hand over their tested record; the promote job then moves
 * every human tag at once. A commit whose level-1 job fails moves nothing.
 * (Container tests themselves are not replayed: podman cannot run containers
 * here; tools/e2e/container-tests.spec.ts covers test-cpu.)
 *
 * Kept cheap (2-core CI): the fixture workspace keeps one line of the real
 * hierarchy (the middle image's ancestors, the middle image, one child), the
 * three cases share it and the registry, and each commit builds only what it
 * must.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageGraph } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { parentChain } from '../nx-plugin/src/lib/hierarchy/resolve-parent';
import type { BuildRecord } from '../nx-plugin/src/lib/records/build-record';
import { loadBuildSettings } from '../nx-plugin/src/lib/settings/build-settings';
import type { ImageJob } from '../ci/lib/image-levels';
import { registryClientFor } from './support/registry-api';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { imageParent, middleImage, workspaceImageGraph } from './support/image-hierarchy';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { accessLogSize, blobGets, readAccessLog } from './support/registry-access-log';
import { readRecordIn } from './support/records';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, git, nxIn, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';
import { buildTasks, ciScript, ciScriptResult, levelJobs, levelsOf, loadWorkflow } from './support/workflows';

jest.setTimeout(600_000);

const UPSTREAM = 'fixtures/wf-datascience-notebook:fixture-commit';
let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let images: ImageGraph;
/** The images of the fixture: the middle image's ancestors, the middle image, one of its children (sorted). */
let cpuImages: string[];
/** An image with a parent image and children (level 0 of a commit that changes it), and one child of it. */
let middle: string;
let child: string;
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
    runner.remove();
  }
}

function expectNx(root: string, args: string[], env: NodeJS.ProcessEnv): void {
  expectNxSuccess(nxIn(root, [...args, '--output-style=static'], env));
}

/**
 * build-image.yml for one matrix entry: content tag only, pinned to the pushed
 * digest, passed record handed over. Returns that record and how the build
 * step got the image (built, or reused from the registry).
 */
function buildImageJob(job: ImageJob): { record: BuildRecord; source: BuildRecord['source'] } {
  return onFreshRunner((root, env) => {
    if (job.parents) ciScript(root, 'materialise.ts', ['--tasks', job.parents], env);
    for (const task of job.prepare.split(' ').filter(Boolean)) expectNx(root, ['run', task, '--excludeTaskDependencies'], env);
    expectNx(root, ['run', job.task, '--excludeTaskDependencies'], { ...env, IMAGE_PUSH: 'true', IMAGE_HUMAN_TAGS: 'false' });
    const pushed = readRecordIn(root, job.project)!;
    expect(pushed.tags).toEqual([pushed.image]);
    ciScript(root, 'materialise.ts', ['--tasks', job.task], env);
    const record = readRecordIn(root, job.project)!;
    writeFileSync(join(tested, `${job.project}-${job.stream}.json`), JSON.stringify(record));
    return { record, source: pushed.source };
  });
}

/** plan, then the level jobs in order; a failing job stops the later levels, as `needs` does. */
interface LevelsRun {
  outputs: Record<string, string>;
  /** The tested record of every job that passed, by project */
  records: Map<string, BuildRecord>;
  /** How each passed job's build step got its image, by project */
  sources: Map<string, BuildRecord['source']>;
  failed: string | null;
  error?: string;
}
function runLevels(planEnv: NodeJS.ProcessEnv, planArgs: string[] = []): LevelsRun {
  rmSync(tested, { recursive: true, force: true });
  mkdirSync(tested);
  const outputs = onFreshRunner((root, env) => ciScript(root, 'plan.ts', ['--max-levels', String(maxLevels()), '--streams', 'cpu', ...planArgs], { ...env, ...planEnv }));
  const records = new Map<string, BuildRecord>();
  const sources = new Map<string, BuildRecord['source']>();
  for (const level of levelsOf(outputs, maxLevels())) {
    for (const job of level) {
      try {
        const { record, source } = buildImageJob(job);
        records.set(job.project, record);
        sources.set(job.project, source);
      } catch (error) {
        return { outputs, records, sources, failed: job.task, error: String(error).slice(-4000) };
      }
    }
  }
  return { outputs, records, sources, failed: null };
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
/** Blob downloads from this suite's repositories since `offset` (the access log is shared with every other suite). */
const ourBlobGets = (offset: number) => blobGets(readAccessLog(services, offset)).filter((get) => get.repository.startsWith(`${prefix.slice(services.registry.length + 1)}/`));

beforeAll(async () => {
  services = readE2eServices();
  machine = createPodmanMachine(services);
  const upstreamDigest = pushFixtureUpstream(machine, `${services.registry}/${UPSTREAM}`);
  images = await workspaceImageGraph();
  const settings = loadBuildSettings(WORKSPACE_ROOT);
  const allCpu = buildTasks(images, ['cpu']).map((task) => task.split(':')[0]);
  middle = middleImage(images, 'cpu');
  child = allCpu.find((project) => imageParent(images, project, 'cpu') === middle)!;
  cpuImages = [...parentChain(images, middle, 'cpu', settings), child].sort();

  prefix = `${services.registry}/wf-${Date.now().toString(36)}`;
  tested = mkdtempSync(join(tmpdir(), 'kf-tested-'));
  workspace = createTempWorkspace('kf-wf-fanout-');
  for (const project of allCpu.filter((project) => !cpuImages.includes(project))) {
    rmSync(join(workspace.root, images[project].root), { recursive: true, force: true });
  }
  workspace.write('build_settings.env', fixtureBuildSettings(`${services.registry}/${UPSTREAM}`, { IMAGE_REGISTRY: prefix }));
  workspace.write('upstream-lock.json', fixtureCpuLock(`${services.registry}/${UPSTREAM}`, upstreamDigest));
  for (const project of cpuImages) workspace.write(`${images[project].root}/Dockerfile`, fixtureDockerfile(project));
  workspace.commit('fixture: one line of the hierarchy, tiny Dockerfiles');
}, 300_000);

afterAll(() => {
  workspace?.remove();
  machine?.remove();
  if (tested) rmSync(tested, { recursive: true, force: true });
});

it('the first run builds every image with its content tag only; promotion then tags every tested digest at once', async () => {
  const { outputs, records, sources, failed, error } = runLevels({}, ['--all']);
  expect(`${failed}: ${error ?? ''}`).toBe('null: ');
  expect([...records.keys()].sort()).toEqual(cpuImages);
  expect(cpuImages.map((project) => sources.get(project))).toEqual(cpuImages.map(() => 'built'));
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
  workspace.write(`${images[middle].root}/Dockerfile`, fixtureDockerfile(`${middle}-v2`));
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(`${child}-broken`, 'exit 1'));
  const sha = workspace.commit('change the middle image; break its child');
  const { outputs, sources, failed, error } = runLevels({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
  expect(levelsOf(outputs, maxLevels()).map((level) => level.map((job) => job.project))).toEqual([[middle], [child]]);
  expect(sources.get(middle)).toBe('built');
  expect(failed).toBe(`${child}:build-cpu`);
  // The engine's failure, in the executor's one line: the task, the step and where it is.
  expect(error).toContain(`${child}:build-cpu: step "RUN echo ${child}-broken >> /lineage && exit 1" of ${images[child].root}/Dockerfile:3 failed`);
  // The workflow skips promote after a failed level (!failure()); run anyway, it must refuse by itself.
  const result = promote(outputs);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/no passed container test recorded for .*nothing is promoted/);
  expect(await tagDigests('latest')).toEqual(before);
  expect(Object.values(await tagDigests(sha))).toEqual(cpuImages.map(() => null));
});

it('the fixed commit rebuilds what it affects, and promotion retags the rest without pulling a layer', async () => {
  const before = await tagDigests('latest');
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(child));
  const sha = workspace.commit('fix the child');
  const { outputs, records, sources, failed, error } = runLevels({ NX_BASE: 'HEAD~2', NX_HEAD: 'HEAD' });
  expect(`${failed}: ${error ?? ''}`).toBe('null: ');
  expect(levelsOf(outputs, maxLevels()).map((level) => level.map((job) => job.project))).toEqual([[middle], [child]]);
  // The failed commit already pushed the middle image under this content tag: reused, not rebuilt.
  expect(sources.get(middle)).toBe('registry');
  expect(sources.get(child)).toBe('built');
  const logOffset = accessLogSize(services);
  expect(promote(outputs).status).toBe(0);
  expect(ourBlobGets(logOffset)).toEqual([]);
  const latest = await tagDigests('latest');
  const shaTags = await tagDigests(sha);
  for (const project of cpuImages) {
    expect(shaTags[project]).toBe(latest[project]);
    if (records.has(project)) expect(`${project}: ${latest[project]}`).toBe(`${project}: ${records.get(project)!.digest}`);
    else expect(`${project}: ${latest[project]}`).toBe(`${project}: ${before[project]}`);
  }
});
