/**
 * main.yml replayed with podman against a real registry, each job on a fresh
 * clone with empty engine storage (a fresh runner): level jobs push content
 * tags only and mark the digest their tests passed on; the promote job then
 * moves every human tag at once, only onto marked digests and never
 * backwards. (Container tests themselves are not replayed: podman cannot run
 * containers here; tools/e2e/container-tests.spec.ts covers test-cpu. A job
 * "whose tests fail" here is one that pushed and left no mark.)
 *
 * Kept cheap (2-core CI): the fixture workspace keeps one line of the real
 * hierarchy (the middle image's ancestors, the middle image, one child), the
 * cases share it, its git history and the registry, run in order, and each
 * commit builds only what it must (most cases build one image or none).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parentChain } from '@kubeflow-images/plugin-lib/hierarchy/resolve-parent';
import type { BuildRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { loadBuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import type { ImageJob } from '../ci/lib/image-levels';
import { registryClientFor } from './support/registry-api';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { imageParent, middleImage, workspaceImageGraph } from './support/image-hierarchy';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { accessLogSize, blobGets, readAccessLog } from './support/registry-access-log';
import { readRecordIn } from './support/records';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, git, nxIn, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';
import { buildTasks, ciScript, ciScriptResult, levelJobs, levelsOf, loadWorkflow } from './support/workflows';
import { startFailingRegistryProxy } from './support/failing-registry-proxy';
import type { ReleaseManifest } from '../ci/lib/promotion';

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
const maxLevels = () => levelJobs(loadWorkflow('main.yml')).maxLevels;
const MAIN = { GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' };

/** A job on a fresh runner, checked out at `at` (default: the tip of main, as a push's run is). */
function onFreshRunner<T>(run: (root: string, env: NodeJS.ProcessEnv) => T, at?: string): T {
  const clone = cloneTempWorkspace(workspace, 'kf-wf-runner-');
  if (at) git(clone.root, 'checkout', '-q', at);
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

interface RunOptions {
  /** The commit the run is for (default: the tip). */
  at?: string;
  /** Projects whose container tests "fail": pushed, but no mark. */
  failingTests?: string[];
}

/**
 * build-image.yml for one matrix entry: content tag only, pinned to the pushed
 * digest, marked when its tests pass. Returns that record and how the build
 * step got the image (built, or reused from the registry).
 */
function buildImageJob(job: ImageJob, options: RunOptions): { record: BuildRecord; source: BuildRecord['source'] } {
  return onFreshRunner((root, env) => {
    if (job.parents) ciScript(root, 'materialise.ts', ['--tasks', job.parents], env);
    for (const task of job.prepare.split(' ').filter(Boolean)) expectNx(root, ['run', task, '--excludeTaskDependencies'], env);
    expectNx(root, ['run', job.task, '--excludeTaskDependencies'], { ...env, IMAGE_PUSH: 'true' });
    const pushed = readRecordIn(root, job.project)!;
    expect(pushed.tags).toEqual([pushed.image]);
    ciScript(root, 'materialise.ts', ['--tasks', job.task], env);
    if (options.failingTests?.includes(job.project)) throw new Error(`${job.task}: container tests failed`);
    ciScript(root, 'mark-tested.ts', ['--task', job.task, '--test', job.test], env);
    return { record: readRecordIn(root, job.project)!, source: pushed.source };
  }, options.at);
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
function plan(planEnv: NodeJS.ProcessEnv, planArgs: string[] = [], at?: string): Record<string, string> {
  return onFreshRunner((root, env) => ciScript(root, 'plan.ts', ['--max-levels', String(maxLevels()), '--streams', 'cpu', ...planArgs], { ...env, ...planEnv }), at);
}
function runLevels(planEnv: NodeJS.ProcessEnv, planArgs: string[] = [], options: RunOptions = {}): LevelsRun {
  const outputs = plan(planEnv, planArgs, options.at);
  const records = new Map<string, BuildRecord>();
  const sources = new Map<string, BuildRecord['source']>();
  for (const level of levelsOf(outputs, maxLevels())) {
    for (const job of level) {
      try {
        const { record, source } = buildImageJob(job, options);
        records.set(job.project, record);
        sources.set(job.project, source);
      } catch (error) {
        return { outputs, records, sources, failed: job.task, error: String(error).slice(-4000) };
      }
    }
  }
  return { outputs, records, sources, failed: null };
}

interface PromoteRun {
  status: number | null;
  output: string;
  manifest: ReleaseManifest | null;
  spawner: string | null;
}
function promote(outputs: Record<string, string>, options: { at?: string; env?: NodeJS.ProcessEnv; args?: string[] } = {}): PromoteRun {
  return onFreshRunner((root, env) => {
    const args = ['--default-branch', 'main', '--built', outputs['built-tasks'], '--unchanged', outputs['retag-tasks'], '--out', 'release', ...(options.args ?? [])];
    const result = ciScriptResult(root, 'promote.ts', args, { ...env, ...options.env });
    const read = (file: string) => {
      try {
        return readFileSync(join(root, 'release', file), 'utf8');
      } catch {
        return null;
      }
    };
    const manifest = read('release-manifest.json');
    return { status: result.status, output: result.output, manifest: manifest ? (JSON.parse(manifest) as ReleaseManifest) : null, spawner: read('spawner-images.yaml') };
  }, options.at);
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
});

const sha = (rev = 'HEAD') => git(workspace.root, 'rev-parse', rev);
const nothingAffected = { NX_BASE: 'HEAD', NX_HEAD: 'HEAD' };
/** Commits of the cases below, by what they are. */
const commits: Record<string, string> = {};

it('the first run builds every image with its content tag only; promotion then tags every tested digest at once, with a manifest of them', async () => {
  const { outputs, records, sources, failed, error } = runLevels({}, ['--all']);
  expect(`${failed}: ${error ?? ''}`).toBe('null: ');
  expect([...records.keys()].sort()).toEqual(cpuImages);
  expect(cpuImages.map((project) => sources.get(project))).toEqual(cpuImages.map(() => 'built'));
  expect(Object.values(await tagDigests('latest'))).toEqual(cpuImages.map(() => null));
  const result = promote(outputs);
  expect(`${result.status}: ${result.output}`).toMatch(/^0: /);
  commits.first = sha();
  const latest = await tagDigests('latest');
  for (const project of cpuImages) {
    expect(`${project}: ${latest[project]}`).toBe(`${project}: ${records.get(project)!.digest}`);
    for (const tag of [commits.first, commits.first.slice(0, 7), 'main']) expect(`${project} ${tag}: ${(await tagDigests(tag))[project]}`).toBe(`${project} ${tag}: ${latest[project]}`);
  }
  // The release manifest and the spawner snippet name exactly what the registry's tags point at.
  expect(result.manifest).toMatchObject({ commit: commits.first, tags: [commits.first, commits.first.slice(0, 7), 'main', 'latest'], branchTagsMoved: true, rollback: null });
  expect(Object.fromEntries(result.manifest!.images.map((image) => [image.task.split(':')[0], image.image]))).toEqual(
    Object.fromEntries(cpuImages.map((project) => [project, `${repository(project)}@${latest[project]}`])),
  );
  for (const image of result.manifest!.images) {
    expect(image.testMark).toMatchObject({ commit: commits.first, task: expect.stringMatching(/:(test|build)-cpu$/) });
    expect(result.spawner).toContain(`      - ${image.image}\n`);
  }
});

it('a commit whose level-1 job fails moves no human tag of any image, and promote.ts refuses it too', async () => {
  const before = await tagDigests('latest');
  workspace.write(`${images[middle].root}/Dockerfile`, fixtureDockerfile(`${middle}-v2`));
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(`${child}-broken`, 'exit 1'));
  commits.failed = workspace.commit('change the middle image; break its child');
  const { outputs, sources, failed, error } = runLevels({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
  expect(levelsOf(outputs, maxLevels()).map((level) => level.map((job) => job.project))).toEqual([[middle], [child]]);
  expect(sources.get(middle)).toBe('built');
  expect(failed).toBe(`${child}:build-cpu`);
  // The engine's failure, in the executor's one line: the task, the step and where it is.
  expect(error).toContain(`${child}:build-cpu: step "RUN echo ${child}-broken >> /lineage && exit 1" of ${images[child].root}/Dockerfile:3 failed`);
  // The workflow skips promote after a failed level (!failure()); run anyway, it must refuse by itself.
  const result = promote(outputs);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(new RegExp(`cannot promote ${child}:build-cpu \\(.*is not in the registry\\)\\. No tag was moved`));
  expect(await tagDigests('latest')).toEqual(before);
  expect(Object.values(await tagDigests(commits.failed))).toEqual(cpuImages.map(() => null));
});

it('the fixed commit rebuilds what it affects, and promotion retags the rest without pulling a layer', async () => {
  const before = await tagDigests('latest');
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(child));
  commits.fixed = workspace.commit('fix the child');
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
  const shaTags = await tagDigests(commits.fixed);
  for (const project of cpuImages) {
    expect(shaTags[project]).toBe(latest[project]);
    if (records.has(project)) expect(`${project}: ${latest[project]}`).toBe(`${project}: ${records.get(project)!.digest}`);
    else expect(`${project}: ${latest[project]}`).toBe(`${project}: ${before[project]}`);
  }
});

it('a re-run of the older failed run after the newer one went green (nothing affected, everything to retag) leaves latest where it is', async () => {
  const before = await tagDigests('latest');
  // nx-set-shas picks the newer green commit as base: plan sees nothing affected and lists every image for promotion.
  const outputs = plan(nothingAffected, [], commits.failed);
  expect(levelsOf(outputs, maxLevels())).toEqual([]);
  const result = promote(outputs, { at: commits.failed });
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(new RegExp(`cannot promote ${child}:build-cpu .*No tag was moved`));
  expect(await tagDigests('latest')).toEqual(before);
  expect(await tagDigests('main')).toEqual(before);
  expect(Object.values(await tagDigests(commits.failed))).toEqual(cpuImages.map(() => null));
});

it('an unchanged image whose content was pushed but never passed its tests is refused, named, and nothing moves', async () => {
  const before = await tagDigests('latest');
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(`${child}-v3`));
  commits.untested = workspace.commit('change the child; its tests fail');
  const { failed } = runLevels({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' }, [], { failingTests: [child] });
  expect(failed).toBe(`${child}:build-cpu`);
  // A re-run whose base is this commit: the plan calls the child unchanged, and its pushed content is refused.
  const rerun = plan(nothingAffected);
  expect(rerun['retag-tasks'].split(' ')).toContain(`${child}:build-cpu`);
  const result = promote(rerun);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(new RegExp(`cannot promote ${child}:build-cpu \\(${repository(child)}@sha256:[0-9a-f]{64} has no test mark: its container tests never passed\\)\\. No tag was moved`));
  expect(await tagDigests('latest')).toEqual(before);
  expect(Object.values(await tagDigests(commits.untested))).toEqual(cpuImages.map(() => null));
});

it('a commit that is no longer the tip when its promotion runs moves its sha tags only, and says so', async () => {
  // The untested commit's run is re-run and passes; meanwhile a newer commit lands and is promoted first.
  const late = runLevels({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' }, [], { at: commits.untested });
  expect(`${late.failed}: ${late.error ?? ''}`).toBe('null: ');
  workspace.write(`${images[child].root}/Dockerfile`, fixtureDockerfile(`${child}-v4`));
  commits.newer = workspace.commit('change the child again');
  const newer = runLevels({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
  expect(`${newer.failed}: ${newer.error ?? ''}`).toBe('null: ');
  expect(promote(newer.outputs).status).toBe(0);
  const latest = await tagDigests('latest');
  expect(latest[child]).toBe(newer.records.get(child)!.digest);

  const result = promote(late.outputs, { at: commits.untested });
  expect(`${result.status}: ${result.output}`).toMatch(new RegExp(`^0: [\\s\\S]*${commits.untested} is no longer the tip of main \\(${commits.newer}\\)[\\s\\S]*only the sha tags move`));
  expect(result.manifest).toMatchObject({ branchTagsMoved: false, tags: [commits.untested, commits.untested.slice(0, 7)] });
  expect(await tagDigests('latest')).toEqual(latest);
  expect(await tagDigests('main')).toEqual(latest);
  expect((await tagDigests(commits.untested))[child]).toBe(late.records.get(child)!.digest);
});

it('when a move fails midway (the registry stops), promote lists what moved; a re-run converges', async () => {
  const latest = await tagDigests('latest');
  workspace.write('README.md', `${readFileSync(join(workspace.root, 'README.md'), 'utf8')}\nA change no image sees.\n`);
  commits.docs = workspace.commit('docs only');
  const outputs = plan({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
  expect(outputs['built-tasks']).toBe('');
  const tags = [commits.docs, commits.docs.slice(0, 7), 'main', 'latest'];
  // The first image's tags go through; the registry stops before the second image's first tag.
  const outage = await startFailingRegistryProxy(services.registry);
  await outage.fail({ status: 503, after: { method: 'PUT', under: 'manifests/', passes: tags.length } });
  let result: PromoteRun;
  try {
    const authFile = join(workspace.root, 'outage-auth.json');
    writeFileSync(authFile, JSON.stringify({ auths: { [outage.host]: { auth: Buffer.from(`${services.user}:${services.password}`).toString('base64') } } }));
    const viaOutage = prefix.replace(services.registry, outage.host);
    result = promote(outputs, { env: { IMAGE_REGISTRY: viaOutage, REGISTRY_AUTH_FILE: authFile } });
  } finally {
    await outage.stop();
  }
  const order = outputs['retag-tasks'].split(' ');
  expect(result.status).not.toBe(0);
  expect(result.output).toContain(`failed at ${order[1]} (`);
  expect(result.output).toContain(`Moved: ${order[0]}. Not moved: ${order.slice(1).join(', ')}.`);
  const halfway = await tagDigests(commits.docs);
  expect(cpuImages.filter((project) => halfway[project] !== null)).toEqual([order[0].split(':')[0]]);

  const again = promote(outputs);
  expect(`${again.status}: ${again.output}`).toMatch(/^0: /);
  expect(await tagDigests(commits.docs)).toEqual(latest);
  expect(await tagDigests('latest')).toEqual(latest);
});

it('when nx-set-shas found no green run, the plan builds and tests every image instead of trusting its HEAD~1 guess', () => {
  const outputs = plan({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' }, ['--no-previous-build', 'true']);
  expect(levelsOf(outputs, maxLevels()).flat().map((job) => job.project).sort()).toEqual(cpuImages);
  expect(outputs['retag-tasks']).toBe('');
  // The same guess, trusted, sees nothing (the last commit changed no image).
  expect(levelsOf(plan({ NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' }, ['--no-previous-build', 'false']), maxLevels())).toEqual([]);
});

it('a push from a working tree with an uncommitted change (IMAGE_PUSH=true, as on a laptop) moves no human tag', async () => {
  const tip = sha();
  const before = { latest: await tagDigests('latest'), main: await tagDigests('main'), tip: await tagDigests(tip) };
  const record = onFreshRunner((root, env) => {
    writeFileSync(join(root, images[child].root, 'Dockerfile'), fixtureDockerfile(`${child}-uncommitted`));
    expectNx(root, ['run', `${child}:build-cpu`], { ...env, IMAGE_PUSH: 'true' });
    return readRecordIn(root, child)!;
  });
  expect(record.source).toBe('built');
  expect(record.tags).toEqual([record.image]);
  expect(await registryClientFor(machine).manifestDigest(record.image)).toBe(record.digest);
  expect({ latest: await tagDigests('latest'), main: await tagDigests('main'), tip: await tagDigests(tip) }).toEqual(before);
});

it('a rollback by hand moves the branch tag and latest back to an earlier commit’s tested digests, and records it', async () => {
  const before = await tagDigests('latest');
  const outputs = plan({}, ['--promote-only'], commits.fixed);
  const result = promote(outputs, { at: commits.fixed, args: ['--rollback'] });
  expect(`${result.status}: ${result.output}`).toMatch(/^0: /);
  const fixed = await tagDigests(commits.fixed);
  expect(await tagDigests('latest')).toEqual(fixed);
  expect(await tagDigests('main')).toEqual(fixed);
  expect(fixed[child]).not.toBe(before[child]);
  expect(result.manifest!.rollback).toEqual({ to: commits.fixed, previous: Object.fromEntries(cpuImages.map((project) => [`${project}:build-cpu`, before[project]])) });
});
