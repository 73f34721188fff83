import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { dockerBuildxAvailable } from '@kubeflow-images/plugin-lib/engine/engine-ready';
import { registryClientFor } from './support/registry-api';
import { e2eEngine } from './support/e2e-engine';
import { nxBinary } from '../ci/lib/nx-cli';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { descendantsOf, imageParent, notebookImagesOf, workspaceImageGraph } from './support/image-hierarchy';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { accessLogSize, blobGets, readAccessLog } from './support/registry-access-log';
import { readRecordIn, tasksRun } from './support/records';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, git, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';

/**
 * Real images, built through the real Nx CLI with podman (nx-container's
 * docker engine needs buildx, which these machines cannot install), on a
 * git copy of the workspace whose Dockerfiles are small fixtures.
 */
const UPSTREAM_REPO = 'fixtures/datascience-notebook';
const UPSTREAM_TAG = 'fixture-commit';

jest.setTimeout(600_000);

let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
/** From the Nx graph: the notebook images of the cpu stream, the ones built directly on minimal, and all below it. */
let images: { all: string[]; onMinimal: string[]; belowMinimal: string[] };

function nx(ws: TempWorkspace, args: string[], env: NodeJS.ProcessEnv = {}) {
  return ws.nx([...args, '--output-style=static', '--parallel=3'], { ...machine.env, ...env });
}

function lineage(image: string): string[] {
  return machine.readFile(image, '/lineage').trim().split('\n');
}

/** Blob downloads from this suite's repositories (under e2e/) since `offset`: other suites share the registry and its log. */
function ourBlobGets(offset: number) {
  return blobGets(readAccessLog(services, offset)).filter((get) => get.repository.startsWith('e2e/'));
}

beforeAll(async () => {
  const graph = await workspaceImageGraph();
  const all = notebookImagesOf(graph, 'cpu');
  images = { all, onMinimal: all.filter((image) => imageParent(graph, image, 'cpu') === 'minimal'), belowMinimal: descendantsOf(graph, 'minimal', 'cpu') };
  if (e2eEngine() === 'podman' && !dockerBuildxAvailable()) {
    console.info('real builds use podman only: docker buildx is not installed, so nx-container\'s docker engine cannot build here (the docker engine is covered only by its "daemon down" fault test)');
  }
  services = readE2eServices();
  machine = createPodmanMachine(services);
  const upstream = `${services.registry}/${UPSTREAM_REPO}:${UPSTREAM_TAG}`;
  const upstreamDigest = pushFixtureUpstream(machine, upstream);
  workspace = createTempWorkspace('kf-real-builds-');
  workspace.write('build_settings.env', fixtureBuildSettings(upstream));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, upstreamDigest));
  for (const image of images.all) workspace.write(`${graph[image].root}/Dockerfile`, fixtureDockerfile(image));
  workspace.commit('fixture Dockerfiles');
});

afterAll(() => {
  workspace?.remove();
});

describe('real builds through nx', () => {
  it('1. a cold run-many builds all five cpu images, each on its parent', () => {
    const result = nx(workspace, ['run-many', '-t', 'build-cpu']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'build-cpu')).toEqual([...images.all].sort());
    // One batch process for every build, and each engine's output streamed under its task's name.
    const plain = stripVTControlCharacters(result.output);
    expect(plain).toMatch(new RegExp(`Running ${images.all.length} tasks with .*build`));
    for (const image of images.all) expect(plain).toMatch(new RegExp(`^${image}:build-cpu \\| \\S`, 'm'));
    for (const image of images.all) {
      const record = readRecordIn(workspace.root, image)!;
      expect(record).toMatchObject({ project: image, stream: 'cpu', planned: false, source: 'built', digest: null });
      expect(record.imageId).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(lineage(readRecordIn(workspace.root, 'base')!.image)).toEqual(['upstream', 'base']);
    expect(lineage(readRecordIn(workspace.root, 'minimal')!.image)).toEqual(['upstream', 'base', 'minimal']);
    for (const leaf of images.onMinimal) {
      expect(lineage(readRecordIn(workspace.root, leaf)!.image)).toEqual(['upstream', 'base', 'minimal', leaf]);
      expect(readRecordIn(workspace.root, leaf)!.parent).toBe(readRecordIn(workspace.root, 'minimal')!.image);
    }
  });

  it('2. running it again is all cache hits and runs no engine', () => {
    const before = Object.fromEntries(images.all.map((image) => [image, readRecordIn(workspace.root, image)!.imageId]));
    const result = nx(workspace, ['run-many', '-t', 'build-cpu']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'build-cpu')).toEqual([]);
    // Every task, the build tasks and the settings task of the stream's upstream they depend on.
    expect(result.output).toMatch(/read the output from the cache instead of running the command for (\d+) out of \1 tasks/);
    for (const image of images.all) expect(readRecordIn(workspace.root, image)!.imageId).toBe(before[image]);
  });

  it('2b. with --batch=false each task runs in its own process and finds the same images', () => {
    const before = Object.fromEntries(images.all.map((image) => [image, readRecordIn(workspace.root, image)!]));
    const result = nx(workspace, ['run-many', '-t', 'build-cpu', '--skip-nx-cache', '--batch=false']);
    expectNxSuccess(result);
    expect(stripVTControlCharacters(result.output)).not.toMatch(/Running \d+ tasks with/);
    expect(tasksRun(result.output, 'build-cpu')).toEqual([...images.all].sort());
    for (const image of images.all) {
      const record = readRecordIn(workspace.root, image)!;
      expect(record).toMatchObject({ image: before[image].image, contentTag: before[image].contentTag, imageId: before[image].imageId, source: 'local' });
      expect(result.output).toContain(`record: ${record.image}, found in the engine's storage`);
    }
  });

  it('3. a committed change to minimal rebuilds minimal and the leaves only', () => {
    const baseBefore = readRecordIn(workspace.root, 'base')!;
    const minimalBefore = readRecordIn(workspace.root, 'minimal')!;
    workspace.write('images/minimal/Dockerfile', fixtureDockerfile('minimal-v2'));
    workspace.commit('change minimal');
    const result = nx(workspace, ['affected', '-t', 'build-cpu', '--base=HEAD~1', '--head=HEAD']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'build-cpu')).toEqual(['minimal', ...images.belowMinimal].sort());
    expect(readRecordIn(workspace.root, 'base')!.imageId).toBe(baseBefore.imageId);
    const minimal = readRecordIn(workspace.root, 'minimal')!;
    expect(minimal.imageId).not.toBe(minimalBefore.imageId);
    expect(minimal.contentTag).not.toBe(minimalBefore.contentTag);
    for (const leaf of images.onMinimal) {
      expect(lineage(readRecordIn(workspace.root, leaf)!.image)).toEqual(['upstream', 'base', 'minimal-v2', leaf]);
    }
  });
});

describe('the registry as the cache every runner shares', () => {
  const env = () => ({ IMAGE_REGISTRY: `${services.registry}/e2e`, IMAGE_PUSH: 'true' });

  it('4a. push puts every image in the registry under its content tag only: the commit\'s tags move only in promotion', async () => {
    const result = nx(workspace, ['run-many', '-t', 'build-cpu'], env());
    expectNxSuccess(result);
    const sha = git(workspace.root, 'rev-parse', 'HEAD');
    const registry = registryClientFor(machine);
    for (const image of images.all) {
      const record = readRecordIn(workspace.root, image)!;
      expect(record.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      const repository = record.image.slice(0, record.image.lastIndexOf(':'));
      expect(record.tags).toEqual([record.image]);
      expect(await registry.manifestDigest(record.image)).toBe(record.digest);
      // This commit's own tags (the branch tag and latest of this shared registry are other runs' business).
      for (const tag of [sha, sha.slice(0, 7)]) expect(await registry.manifestDigest(`${repository}:${tag}`)).toBeNull();
    }
  });

  it('4b. a fresh clone with an empty cache and empty engine storage rebuilds nothing and pulls nothing', async () => {
    const clone = cloneTempWorkspace(workspace, 'kf-fresh-runner-');
    clone.write('README.md', 'a docs change\n');
    const sha = clone.commit('docs');
    const freshMachine = createPodmanMachine(services);
    const logOffset = accessLogSize(services);
    const result = clone.nx(['run-many', '-t', 'build-cpu', '--output-style=static'], { ...freshMachine.env, ...env() });
    expectNxSuccess(result);
    expect(freshMachine.podman(['images', '--quiet'])).toBe('');
    expect(ourBlobGets(logOffset)).toEqual([]);
    const registry = registryClientFor(machine);
    for (const image of images.all) {
      const record = readRecordIn(clone.root, image)!;
      const original = readRecordIn(workspace.root, image)!;
      expect(record).toMatchObject({ source: 'registry', image: original.image, digest: original.digest, planned: false });
      const repository = record.image.slice(0, record.image.lastIndexOf(':'));
      expect(await registry.manifestDigest(`${repository}:${sha}`)).toBeNull();
    }
    clone.remove();
    rmSync(freshMachine.dir, { recursive: true, force: true });
  });
});

describe('faults give one clear line, a non-zero exit and no record', () => {
  function expectFailure(result: { status: number | null; output: string }, project: string, message: RegExp) {
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(message);
    expect(result.output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
    expect(readRecordIn(workspace.root, project)).toBeNull();
  }
  const baseOnly = ['run', 'base:build-cpu', '--skip-nx-cache'];

  it('wrong registry password', () => {
    const wrong = createPodmanMachine(services, 'not-the-password');
    const result = workspace.nx([...baseOnly], { ...wrong.env, IMAGE_REGISTRY: `${services.registry}/e2e` });
    expectFailure(result, 'base', /refused our credentials.*login/);
  });

  it('registry down', () => {
    const result = nx(workspace, baseOnly, { IMAGE_REGISTRY: 'localhost:1/e2e' });
    expectFailure(result, 'base', /localhost:1 is not reachable/);
  });

  it('engine daemon down', () => {
    const result = nx(workspace, baseOnly, { IMAGE_ENGINE: 'docker', DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expectFailure(result, 'base', /docker daemon is not reachable.*start dockerd/);
  });

  it('a build step that fails', () => {
    workspace.write('images/geomatics/Dockerfile', fixtureDockerfile('geomatics', 'false'));
    const result = nx(workspace, ['run', 'geomatics:build-cpu']);
    expectFailure(result, 'geomatics', /geomatics:build-cpu: step "RUN echo geomatics >> \/lineage && false" of images\/geomatics\/Dockerfile:3 failed \(.*\): fix that instruction/);
  });

  it('a build killed mid-way leaves no record, and a rerun completes', async () => {
    workspace.write('images/r-studio/Dockerfile', fixtureDockerfile('r-studio', 'sleep 6'));
    const child = spawn(nxBinary(WORKSPACE_ROOT), ['run', 'r-studio:build-cpu', '--output-style=static'], {
      cwd: workspace.root,
      env: { ...process.env, ...machine.env, NX_DAEMON: 'false', NX_TUI: 'false', CI: 'true' },
      detached: true,
      stdio: 'ignore',
    });
    const recordDir = join(workspace.root, 'dist', 'images', 'r-studio');
    // Kill only once the engine is really building (under load Nx may take seconds to get there).
    // By its context, the command's last argument (podman builds a labelled copy of the Dockerfile).
    const context = join(workspace.root, 'images', 'r-studio');
    const deadline = Date.now() + 120_000;
    while (spawnSync('pgrep', ['-f', `podman build .* ${context}$`]).status !== 0) {
      if (Date.now() > deadline) throw new Error('the r-studio build never reached the engine');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(readRecordIn(workspace.root, 'r-studio')).toBeNull();
    expect(existsSync(recordDir) ? readdirSync(recordDir).filter((f) => f.endsWith('.tmp')) : []).toEqual([]);
    const rerun = nx(workspace, ['run', 'r-studio:build-cpu']);
    expectNxSuccess(rerun);
    expect(lineage(readRecordIn(workspace.root, 'r-studio')!.image)).toEqual(['upstream', 'base', 'minimal-v2', 'r-studio']);
  });

  it('a parent that fails stops the run below it: its children are not run and nothing builds on it', () => {
    const children = Object.fromEntries(images.belowMinimal.map((image) => [image, readRecordIn(workspace.root, image)!]));
    const working = readFileSync(join(workspace.root, 'images/minimal/Dockerfile'), 'utf8');
    workspace.write('images/minimal/Dockerfile', fixtureDockerfile('minimal-broken', 'false'));
    const result = nx(workspace, ['run-many', '-t', 'build-cpu']);
    expectFailure(result, 'minimal', /minimal:build-cpu: step "RUN echo minimal-broken >> \/lineage && false" of images\/minimal\/Dockerfile:3 failed/);
    const plain = stripVTControlCharacters(result.output);
    expect(plain).toMatch(/Tasks not run because their dependencies failed/);
    for (const image of images.belowMinimal) expect(plain).toMatch(new RegExp(`^- ${image}:build-cpu$`, 'm'));
    expect(tasksRun(result.output, 'build-cpu')).toEqual(['minimal']);
    // Their previous records stand untouched: no build of theirs started, none built on the broken minimal.
    for (const image of images.belowMinimal) expect(readRecordIn(workspace.root, image)).toEqual(children[image]);
    workspace.write('images/minimal/Dockerfile', working);
    expectNxSuccess(nx(workspace, ['run', 'minimal:build-cpu']));
    expect(lineage(readRecordIn(workspace.root, 'minimal')!.image)).toEqual(['upstream', 'base', 'minimal-v2']);
  });
});
