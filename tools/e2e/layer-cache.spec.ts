/**
 * The registry layer cache on real podman and the e2e registry. One fixture
 * chain (the first image of the graph with a parent, and its parent), whose
 * images have an expensive step that writes random data, then a last line the
 * cases change. The random data makes the expensive layer's digest a proof:
 * it can only match an earlier build's through the cache.
 * The cases run in order and build on each other's registry state.
 */
import { rmSync } from 'node:fs';
import { readBenchGraph, type BenchGraph } from '../bench/lib/graph';
import { layerCacheRepository } from '@kubeflow-images/plugin-lib/layer-cache/layer-cache';
import { parseRepository } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { startFailingRegistryProxy, type FailingRegistryProxy } from './support/failing-registry-proxy';
import { notebookFixtureDockerfile, pushNotebookFixtureUpstream } from './support/notebook-fixtures';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, type PodmanMachine } from './support/podman-fixtures';
import { pushDatedImage, pushRedatedCopy } from './support/private-registry';
import { readRecordIn, tasksRun } from './support/records';
import { accessLogSize, waitForAccessLog } from './support/registry-access-log';
import { registryClientFor } from './support/registry-api';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, git, type TempWorkspace } from './support/temp-workspace';
import { ciScriptResult } from './support/workflows';

jest.setTimeout(600_000);

const TARGET = 'build-cpu';
const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The branch comes from git here, whatever CI variables the test process itself runs under. */
const GIT_DECIDES_BRANCH = { IMAGE_BRANCH: '', GITHUB_HEAD_REF: '', GITHUB_REF_NAME: '', IMAGE_DEFAULT_BRANCH: '' };
/** What main's build-image.yml does: push the content tag only. */
const MAIN_PUSH = { ...GIT_DECIDES_BRANCH, IMAGE_PUSH: 'true' };
/** What pull-request.yml does: read the registry, push nothing. */
const PR_BUILD = { ...GIT_DECIDES_BRANCH, IMAGE_PUSH: 'false' };

let services: E2eServices;
let workspace: TempWorkspace;
let graph: BenchGraph;
let registryPrefix: string;
/** The image whose last line the cases change, and its parent. */
let changed: string;
let chain: string[];
let proxy: FailingRegistryProxy;
const machines: PodmanMachine[] = [];
const clones: TempWorkspace[] = [];
/** Layers (diff ids) of `changed` per build, in order. */
const builds: Array<{ image: string; layers: string[] }> = [];
let changes = 0;

function freshMachine(registryHost = services.registry): PodmanMachine {
  const machine = createPodmanMachine({ ...services, registry: registryHost });
  machines.push(machine);
  return machine;
}

function writeDockerfile(ws: TempWorkspace, project: string, lastLine: string): void {
  ws.write(
    `${graph.images[project].root}/Dockerfile`,
    notebookFixtureDockerfile(project, {
      lines: [`RUN head -c 1048576 /dev/urandom > /opt/expensive-${project}`, `RUN echo ${lastLine} > /opt/last-line-${project}`],
    }),
  );
}

/** Changes the last line of `changed` on main (committed, so the tree is clean) and returns a fresh clone: a new CI runner. */
function changeLastLineAndClone(): TempWorkspace {
  writeDockerfile(workspace, changed, `change-${++changes}`);
  workspace.commit(`last line of ${changed}, change ${changes}`);
  const clone = cloneTempWorkspace(workspace);
  clones.push(clone);
  return clone;
}

function build(ws: TempWorkspace, machine: PodmanMachine, env: NodeJS.ProcessEnv): string {
  const result = ws.nx(['run', `${changed}:${TARGET}`, '--output-style=static'], { ...machine.env, IMAGE_REGISTRY: registryPrefix, ...env });
  expectNxSuccess(result);
  return result.output;
}

const repositoryOf = (image: string) => image.slice(0, image.lastIndexOf(':'));
const recordOf = (ws: TempWorkspace, project: string) => {
  const record = readRecordIn(ws.root, project);
  if (!record) throw new Error(`no record of ${project} in ${ws.root}`);
  return record;
};
/** The cache repository's path in the registry (what access-log lines name). */
const cachePathOf = (ws: TempWorkspace, project: string) => parseRepository(layerCacheRepository(repositoryOf(recordOf(ws, project).image))).repository;
const warningLines = (output: string) => output.split('\n').filter((line) => /^\s*warning: .*layer cache/.test(line));

async function pushedLayers(machine: PodmanMachine, image: string): Promise<string[]> {
  const config = await registryClientFor(machine).imageConfig(image);
  return config?.rootfs?.diff_ids ?? [];
}

function localLayers(machine: PodmanMachine, image: string): string[] {
  return JSON.parse(machine.podman(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', image])) as string[];
}

/** The layer the expensive step wrote: the one before the last line's. */
const expensiveLayer = (layers: string[]) => layers[layers.length - 2];
/** Requests that write to `path` in an access-log excerpt. */
const writesTo = (log: string, path: string) => log.split('\n').filter((line) => new RegExp(`"(PUT|POST|PATCH) /v2/${path}/`).test(line));

beforeAll(async () => {
  services = readE2eServices();
  registryPrefix = `${services.registry}/layer-cache-${RUN_ID}`;
  const upstream = `${services.registry}/layer-cache-${RUN_ID}-upstream/notebook:fixture-commit`;
  const upstreamDigest = pushNotebookFixtureUpstream(freshMachine(), upstream);
  workspace = createTempWorkspace('kf-layer-cache-');
  // podman whatever E2E_ENGINE says: buildah's cache is what this suite proves (buildx's arguments are unit-tested).
  workspace.write('build_settings.env', fixtureBuildSettings(upstream, { IMAGE_ENGINE: 'podman' }));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, upstreamDigest));
  graph = readBenchGraph(workspace, TARGET);
  changed = graph.order.find((project) => graph.images[project].parents.length > 0)!;
  if (!changed) throw new Error('the image graph has no image with a parent: nothing to build on a cache');
  chain = [graph.images[changed].parents[0], changed];
  for (const project of graph.order) writeDockerfile(workspace, project, 'first');
  workspace.commit('fixture images with an expensive step');
  proxy = await startFailingRegistryProxy(services.registry);
});

afterAll(async () => {
  await proxy?.stop();
  workspace?.remove();
  for (const clone of clones) clone.remove();
  for (const machine of machines) {
    try {
      machine.podman(['unmount', '--all']);
      rmSync(machine.dir, { recursive: true, force: true });
    } catch (error) {
      console.warn(`left ${machine.dir}: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    }
  }
});

describe('layer cache in the registry', () => {
  it('a first build from the default branch warns once per image that there is no cache yet, builds, and writes the cache', async () => {
    const machine = freshMachine();
    const offset = accessLogSize(services);
    const output = build(workspace, machine, MAIN_PUSH);
    const warnings = warningLines(output);
    for (const project of chain) {
      const cache = layerCacheRepository(repositoryOf(recordOf(workspace, project).image));
      expect(warnings.filter((line) => line.includes(`no layer cache at ${cache} yet`))).toHaveLength(1);
      expect((await registryClientFor(machine).listTags(cache)).length).toBeGreaterThan(0);
    }
    expect(warnings).toHaveLength(chain.length);
    const log = await waitForAccessLog(services, offset, (text) => writesTo(text, cachePathOf(workspace, changed)).length > 0);
    expect(writesTo(log, cachePathOf(workspace, changed)).length).toBeGreaterThan(0);
    const image = recordOf(workspace, changed).image;
    builds.push({ image, layers: await pushedLayers(machine, image) });
  });

  it('after a change on the last line, a fresh runner with an empty Nx cache reuses every earlier layer from the cache', async () => {
    const runner = changeLastLineAndClone();
    const machine = freshMachine();
    const output = build(runner, machine, MAIN_PUSH);
    expect(warningLines(output)).toEqual([]);
    expect(recordOf(runner, changed).source).toBe('built');
    const image = recordOf(runner, changed).image;
    const layers = await pushedLayers(machine, image);
    const previous = builds[builds.length - 1].layers;
    expect(layers.slice(0, -1)).toEqual(previous.slice(0, -1));
    expect(layers[layers.length - 1]).not.toBe(previous[previous.length - 1]);
    builds.push({ image, layers });
  });

  it('with IMAGE_LAYER_CACHE=false the same build neither reads nor writes the cache, and its expensive layer is new', async () => {
    const runner = cloneTempWorkspace(workspace);
    clones.push(runner);
    writeDockerfile(runner, changed, 'cache-off');
    const machine = freshMachine();
    const offset = accessLogSize(services);
    const output = build(runner, machine, { ...PR_BUILD, IMAGE_LAYER_CACHE: 'false' });
    expect(warningLines(output)).toEqual([]);
    const layers = localLayers(machine, recordOf(runner, changed).image);
    expect(expensiveLayer(layers)).not.toBe(expensiveLayer(builds[builds.length - 1].layers));
    const log = await waitForAccessLog(services, offset, (text) => text.includes(`/v2/${cachePathOf(runner, changed)}/`));
    expect(log).not.toContain(`/v2/${cachePathOf(runner, changed)}/`);
  });

  it('a pull-request build reads the cache and writes none; neither does a push from another branch', async () => {
    const runner = cloneTempWorkspace(workspace);
    clones.push(runner);
    git(runner.root, 'checkout', '-q', '-b', 'feature');
    writeDockerfile(runner, changed, 'pull-request');
    runner.commit('a pull request changes the last line');
    const machine = freshMachine();
    const offset = accessLogSize(services);
    const output = build(runner, machine, PR_BUILD);
    expect(warningLines(output)).toEqual([]);
    const layers = localLayers(machine, recordOf(runner, changed).image);
    expect(expensiveLayer(layers)).toBe(expensiveLayer(builds[builds.length - 1].layers));
    // The switch is part of no cache key: turned off, the same build is an Nx cache hit.
    const replay = runner.nx(['run', `${changed}:${TARGET}`, '--output-style=static'], { ...machine.env, IMAGE_REGISTRY: registryPrefix, ...PR_BUILD, IMAGE_LAYER_CACHE: 'false' });
    expectNxSuccess(replay);
    expect(tasksRun(replay.output, TARGET)).toEqual([]);

    const pushed = build(runner, machine, MAIN_PUSH);
    expect(recordOf(runner, changed).digest).toMatch(/^sha256:/);
    expect(warningLines(pushed)).toEqual([]);
    const imagePath = parseRepository(repositoryOf(recordOf(runner, changed).image)).repository;
    // The image push lands in the log after the build's cache requests: once it is there, a cache write would be too.
    const log = await waitForAccessLog(services, offset, (text) => text.includes(`"PUT /v2/${imagePath}/manifests/`));
    expect(writesTo(log, cachePathOf(runner, changed))).toEqual([]);
  });

  it('a registry answering 500 for the cache: one warning, then a normal build that pushes its image', async () => {
    const runner = changeLastLineAndClone();
    const machine = freshMachine(proxy.host);
    const cachePath = cachePathOf(workspace, changed);
    await proxy.fail({ repository: cachePath, writesOnly: false });
    try {
      const output = build(runner, machine, { ...MAIN_PUSH, IMAGE_REGISTRY: `${proxy.host}/layer-cache-${RUN_ID}` });
      const warnings = warningLines(output);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`layer cache ${proxy.host}/${cachePath} is unreadable (`);
      expect(warnings[0]).toContain('500');
      expect(recordOf(runner, changed)).toMatchObject({ source: 'built', digest: expect.stringMatching(/^sha256:/) });
      expect(await proxy.failed()).toBeGreaterThan(0);
    } finally {
      await proxy.fail(null);
    }
  });

  it('a cache export the registry refuses: buildah fails the build, which runs once more without exporting, with one warning', async () => {
    const runner = changeLastLineAndClone();
    const machine = freshMachine(proxy.host);
    const cachePath = cachePathOf(workspace, changed);
    await proxy.fail({ repository: cachePath, writesOnly: true });
    try {
      const failedBefore = await proxy.failed();
      const output = build(runner, machine, { ...MAIN_PUSH, IMAGE_REGISTRY: `${proxy.host}/layer-cache-${RUN_ID}` });
      const warnings = warningLines(output);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(new RegExp(`exporting the layer cache to ${proxy.host}/${cachePath} failed \\(failed pushing cache to .*\\): building again without exporting it`));
      expect(await proxy.failed()).toBeGreaterThan(failedBefore);
      const record = recordOf(runner, changed);
      expect(record).toMatchObject({ source: 'built', digest: expect.stringMatching(/^sha256:/) });
      const layers = await pushedLayers(machine, record.image);
      expect(expensiveLayer(layers)).toBe(expensiveLayer(builds[builds.length - 1].layers));
      builds.push({ image: record.image, layers });
    } finally {
      await proxy.fail(null);
    }
  });

  it('the prune keeps the cache the newest build needs, however old, and removes an old entry it does not need', async () => {
    const machine = freshMachine();
    const client = registryClientFor(machine);
    const cache = layerCacheRepository(repositoryOf(recordOf(workspace, changed).image));
    const newest = builds[builds.length - 1].layers;
    // The cache entry of the expensive step, redated: still needed by the newest build, so kept at any age.
    let expensiveStep: string | undefined;
    for (const tag of await client.listTags(cache)) {
      const layers = (await client.imageConfig(`${cache}:${tag}`))?.rootfs?.diff_ids ?? [];
      if (layers.length === newest.length - 1 && layers.every((layer, i) => layer === newest[i])) expensiveStep = tag;
    }
    expect(expensiveStep).toBeDefined();
    const login = { host: services.registry, user: services.user, password: services.password };
    const neededOld = await pushRedatedCopy(login, cache, expensiveStep!, 'needed-but-old', new Date(Date.now() - 90 * DAY_MS));
    const unneededOld = await pushDatedImage(login, cache, ['superseded-step'], new Date(Date.now() - 40 * DAY_MS), 'a step no build has any more');
    const result = ciScriptResult(workspace.root, 'registry-prune.ts', ['--apply'], { IMAGE_REGISTRY: registryPrefix, REGISTRY_AUTH_FILE: machine.env.REGISTRY_AUTH_FILE });
    expect({ status: result.status, output: result.status === 0 ? '' : result.output }).toEqual({ status: 0, output: '' });
    const deleted = [...result.output.matchAll(/^deleted (\S+) \(/gm)].map((match) => match[1]);
    expect(deleted).toEqual([`${cache}@${unneededOld}`]);
    const tags = await client.listTags(cache);
    expect(tags).toContain('needed-but-old');
    expect(tags).toContain(expensiveStep);
    expect(tags).not.toContain('superseded-step');
    expect(await client.manifestDigest(`${cache}:needed-but-old`)).toBe(neededOld);
  });
});
