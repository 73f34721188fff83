import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBenchGraph, type BenchGraph } from '../bench/lib/graph';
import { recordPath, type BuildRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { notebookFixtureDockerfile, pushNotebookFixtureUpstream, removeDockerImages } from './support/notebook-fixtures';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn, tasksRun } from './support/records';
import { deleteRepositoryManifests, registryClientFor } from './support/registry-api';
import { cloneTempWorkspace, createTempWorkspace, expectNxSuccess, type TempWorkspace } from './support/temp-workspace';

/**
 * Sound reuse on real podman and the local registry: after every kind of
 * change a user makes (or an engine or registry loses), the next
 * `nx run-many -t build-cpu` leaves records whose content tags equal a fresh
 * plan's, with the images where their consumers look and the right lineage.
 * One fixture family, built once, mutated case by case (the cases run in order).
 */
const TARGET = 'build-cpu';
const RUN_ID = `${Date.now().toString(36)}-${process.pid}`;
const SUMMARY = /images: built (\d+), reused from the registry (\d+), from the engine (\d+), restored by Nx (\d+)/;

jest.setTimeout(900_000);

let services: E2eServices;
let workspace: TempWorkspace;
let graph: BenchGraph;
/** The engine storage builds use now; a case replaces it to stand for a pruned or new machine. */
let machine: PodmanMachine;
let registryPrefix: string;
let upstream: string;
/** An image with a parent and children (the one whose files the cases change), its root, and the leaves. */
let middle: string;
let root: string;
const machines: PodmanMachine[] = [];
const dockerImages = new Set<string>();
/** What each image's fixture Dockerfile appends to /lineage now. */
const markers: Record<string, string> = {};

interface BuildRun {
  output: string;
  /** Tasks Nx ran (not restored from its cache). */
  ran: string[];
  counts: { built: number; registry: number; engine: number; nx: number };
}

function freshEngine(): PodmanMachine {
  machine = createPodmanMachine(services);
  machines.push(machine);
  return machine;
}

function parentOf(project: string): string | undefined {
  return graph.images[project].parents[0];
}

/** `project` and everything built on it. */
function subtree(project: string): string[] {
  const below = graph.order.filter((other) => parentOf(other) === project).flatMap(subtree);
  return [project, ...below].sort();
}

function expectedLineage(project: string): string[] {
  const parent = parentOf(project);
  return [...(parent ? expectedLineage(parent) : ['upstream']), markers[project]];
}

function writeDockerfile(ws: TempWorkspace, project: string, marker = project): void {
  markers[project] = marker;
  // The middle image copies a file whose mode the image records, so a flipped exec bit is visible inside it.
  const lines = project === middle ? ['COPY tool.sh /opt/tool.sh', 'RUN (test -x /opt/tool.sh && echo exec || echo plain) > /opt/tool-mode'] : [];
  ws.write(`${graph.images[project].root}/Dockerfile`, notebookFixtureDockerfile(marker, { lines }));
}

function runBuilds(ws: TempWorkspace, env: NodeJS.ProcessEnv, args = ['run-many', '-t', TARGET]): BuildRun {
  const result = ws.nx([...args, '--output-style=static', '--parallel=3'], { ...machine.env, ...env });
  expectNxSuccess(result);
  const summary = SUMMARY.exec(result.output);
  if (!summary) throw new Error(`no run summary line in the output:\n${result.output.slice(-3000)}`);
  const [built, registry, engine, nx] = summary.slice(1).map(Number);
  return { output: result.output, ran: tasksRun(result.output, TARGET), counts: { built, registry, engine, nx } };
}

function records(ws: TempWorkspace): Record<string, BuildRecord> {
  return Object.fromEntries(graph.order.map((project) => [project, readRecordIn(ws.root, project)!]));
}

function tags(ws: TempWorkspace): Record<string, string> {
  return Object.fromEntries(Object.entries(records(ws)).map(([project, record]) => [project, record.contentTag]));
}

/** Projects whose image the engine built in this run, per the records the run left. */
function built(ws: TempWorkspace, run: BuildRun): string[] {
  return run.ran.filter((project) => readRecordIn(ws.root, project)!.source === 'built').sort();
}

function inEngine(image: string): boolean {
  try {
    machine.podman(['image', 'exists', image]);
    return true;
  } catch {
    return false;
  }
}

async function inRegistry(image: string): Promise<boolean> {
  return image.startsWith(`${registryPrefix}/`) && (await registryClientFor(machine).manifestDigest(image)) !== null;
}

/**
 * What every case must leave: each record's tag is the tag a fresh plan
 * computes from the files; each image this run made or reused, and the parent
 * of each image it built, is in the engine or the registry; the leaves in the
 * engine carry the whole chain in /lineage.
 */
async function expectSound(ws: TempWorkspace, env: NodeJS.ProcessEnv, run: BuildRun): Promise<void> {
  const real = records(ws);
  const plan = ws.nx(['run-many', '-t', TARGET, '-c', 'plan', '--skip-nx-cache', '--output-style=static'], { ...machine.env, ...env });
  expectNxSuccess(plan);
  const planned = records(ws);
  for (const project of graph.order) {
    expect({ project, contentTag: real[project].contentTag, image: real[project].image }).toEqual({
      project,
      contentTag: planned[project].contentTag,
      image: planned[project].image,
    });
    // Put back what the build left, so the next case starts from it rather than from plans.
    writeFileSync(recordPath(ws.root, project, 'cpu'), `${JSON.stringify(real[project], null, 2)}\n`);
  }
  const needed = new Set(run.ran);
  for (const project of run.ran) {
    const parent = parentOf(project);
    if (parent && real[project].source === 'built') needed.add(parent);
  }
  for (const project of needed) {
    const image = real[project].image;
    expect({ project, image, present: inEngine(image) || (await inRegistry(image)) }).toEqual({ project, image, present: true });
  }
  const leavesInEngine = graph.leaves.filter((leaf) => inEngine(real[leaf].image));
  expect(leavesInEngine.length).toBeGreaterThan(0);
  for (const leaf of leavesInEngine) {
    expect({ leaf, lineage: machine.readFile(real[leaf].image, '/lineage').trim().split('\n') }).toEqual({ leaf, lineage: expectedLineage(leaf) });
  }
}

beforeAll(() => {
  services = readE2eServices();
  registryPrefix = `${services.registry}/sound-reuse-${RUN_ID}`;
  upstream = `${services.registry}/sound-reuse-${RUN_ID}-upstream/notebook:fixture-commit`;
  freshEngine();
  const upstreamDigest = pushNotebookFixtureUpstream(machine, upstream);
  workspace = createTempWorkspace('kf-sound-reuse-');
  // The registry comes from a variable the file references, as IMAGE_REGISTRY=${ACR_NAME}.azurecr.io does; empty: local only.
  workspace.write('build_settings.env', fixtureBuildSettings(upstream).replace('IMAGE_REGISTRY=\n', 'CUSTOM_REGISTRY=\nIMAGE_REGISTRY=${CUSTOM_REGISTRY}\n'));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, upstreamDigest));
  graph = readBenchGraph(workspace, TARGET);
  root = graph.order[0];
  middle = graph.order.find((project) => parentOf(project) && graph.order.some((other) => parentOf(other) === project))!;
  if (!middle) throw new Error('the image graph has no image with both a parent and children: nothing to change in the middle');
  for (const project of graph.order) {
    writeDockerfile(workspace, project);
    workspace.write(`${graph.images[project].root}/tests/checks.json`, `${JSON.stringify({ commands: [`grep -q ${project} /lineage`] })}\n`);
  }
  const middleRoot = graph.images[middle].root;
  workspace.write(`${middleRoot}/tool.sh`, '#!/bin/sh\necho tool\n');
  chmodSync(join(workspace.root, middleRoot, 'tool.sh'), 0o644);
  workspace.write(`${middleRoot}/notes.txt`, 'sent to the engine until .dockerignore says otherwise\n');
  workspace.commit('fixture images');
  const cold = runBuilds(workspace, {});
  expect(cold.counts.built).toBe(graph.order.length);
});

afterAll(() => {
  removeDockerImages(dockerImages);
  workspace?.remove();
  for (const used of machines) {
    try {
      // Overlay layers a build or a read left mounted keep rmdir busy: unmount them in this machine's own storage first.
      used.podman(['unmount', '--all']);
      rmSync(used.dir, { recursive: true, force: true });
    } catch (error) {
      console.warn(`left ${used.dir}: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    }
  }
});

describe('one identity: the Nx cache key changes exactly when the content tag does', () => {
  it('an exec bit flipped rebuilds the image that copies the file and its children, and the image has the new mode', async () => {
    const before = tags(workspace);
    chmodSync(join(workspace.root, graph.images[middle].root, 'tool.sh'), 0o755);
    workspace.commit('make tool.sh executable');
    const run = runBuilds(workspace, {});
    expect(built(workspace, run)).toEqual(subtree(middle));
    expect(run.counts.built).toBe(subtree(middle).length);
    expect(machine.readFile(readRecordIn(workspace.root, middle)!.image, '/opt/tool-mode').trim()).toBe('exec');
    const after = tags(workspace);
    for (const project of graph.order) expect(after[project] === before[project]).toBe(!subtree(middle).includes(project));
    await expectSound(workspace, {}, run);
  });

  it('a .dockerignore change rebuilds that image and its children', async () => {
    const before = tags(workspace);
    const ignoreFile = join(workspace.root, graph.images[middle].root, '.dockerignore');
    let ignored = '';
    try {
      ignored = readFileSync(ignoreFile, 'utf8');
    } catch {
      // The generator writes one; a hand-made image may have none.
    }
    workspace.write(`${graph.images[middle].root}/.dockerignore`, `${ignored}notes.txt\n`);
    workspace.commit('ignore notes.txt');
    const run = runBuilds(workspace, {});
    expect(built(workspace, run)).toEqual(subtree(middle));
    expect(tags(workspace)[middle]).not.toBe(before[middle]);
    await expectSound(workspace, {}, run);
  });

  it('a change to a .dockerignored file rebuilds nothing', async () => {
    const before = tags(workspace);
    workspace.write(`${graph.images[middle].root}/notes.txt`, 'never sent to the engine\n');
    workspace.commit('edit an ignored file');
    const run = runBuilds(workspace, {});
    expect(built(workspace, run)).toEqual([]);
    expect(run.counts.built).toBe(0);
    expect(tags(workspace)).toEqual(before);
    await expectSound(workspace, {}, run);
  });

  it('a README or tests/ change is all Nx cache hits', async () => {
    const before = tags(workspace);
    workspace.write(`${graph.images[middle].root}/README.md`, '# rewritten docs\n');
    workspace.write(`${graph.images[middle].root}/tests/checks.json`, `${JSON.stringify({ commands: [`grep -q ${middle} /lineage`, 'true'] })}\n`);
    workspace.commit('docs and tests');
    const run = runBuilds(workspace, {});
    expect(run.ran).toEqual([]);
    // Honest output: the replay claims no build, and the summary (also in dist/run-summary.txt) counts restores.
    expect(run.counts).toEqual({ built: 0, registry: 0, engine: 0, nx: graph.order.length });
    expect(run.output).not.toMatch(/^built /m);
    expect(readFileSync(join(workspace.root, 'dist', 'run-summary.txt'), 'utf8')).toMatch(SUMMARY);
    expect(tags(workspace)).toEqual(before);
    await expectSound(workspace, {}, run);
  });

  it('a change to the plugin code that computes tags changes every tag and rebuilds every image', async () => {
    const before = tags(workspace);
    const file = 'tools/nx-plugin/src/lib/content-tag/content-tag.ts';
    const source = readFileSync(join(workspace.root, file), 'utf8');
    expect(source).toContain('version: 1,');
    workspace.write(file, source.replace('version: 1,', 'version: 2,'));
    // As a developer does after changing the plugin (a build refuses compiled code older than its sources).
    const compiled = spawnSync(process.execPath, ['tools/nx-plugin/build-plugin.js'], { cwd: workspace.root, encoding: 'utf8' });
    expect(compiled.status).toBe(0);
    workspace.commit('content tag version 2');
    const run = runBuilds(workspace, {});
    expect(built(workspace, run)).toEqual([...graph.order].sort());
    const after = tags(workspace);
    for (const project of graph.order) expect(after[project]).not.toBe(before[project]);
    await expectSound(workspace, {}, run);
  });
});

describe('reachable on reuse: a restored record brings its image back', () => {
  it('engine storage emptied with a warm Nx cache, local only: the missing parent is rebuilt from its record', async () => {
    freshEngine();
    writeDockerfile(workspace, middle, `${middle}-v2`);
    workspace.commit(`change ${middle}`);
    const run = runBuilds(workspace, {});
    expect(run.ran).not.toContain(root);
    expect(built(workspace, run)).toEqual(subtree(middle));
    expect(run.output).toContain(`${readRecordIn(workspace.root, root)!.image} (${root}'s build record, restored from the Nx cache) is not in podman's storage nor in a registry: rebuilding it from its record`);
    expect(run.output).not.toMatch(/fix images\/[^ ]+\/Dockerfile/);
    expect(inEngine(readRecordIn(workspace.root, root)!.image)).toBe(true);
    // The closing line counts the parents rebuilt from their records as built too.
    const ancestors: string[] = [];
    for (let parent = parentOf(middle); parent; parent = parentOf(parent)) ancestors.push(parent);
    expect(run.counts.built).toBe(subtree(middle).length + ancestors.length);
    await expectSound(workspace, {}, run);
  });

  it('a variable build_settings.env references (the registry) changes every record, not a cache hit on the old one', async () => {
    const before = tags(workspace);
    const env = { CUSTOM_REGISTRY: registryPrefix };
    const run = runBuilds(workspace, env);
    expect(run.counts.nx).toBe(0);
    for (const [project, record] of Object.entries(records(workspace))) {
      expect(record.image.startsWith(`${registryPrefix}/`)).toBe(true);
      expect(record.contentTag).toBe(before[project]);
    }
    await expectSound(workspace, env, run);
  });

  it('engine storage emptied with a warm Nx cache and IMAGE_REGISTRY set: a changed leaf pulls only its parent, by digest', async () => {
    const env = { CUSTOM_REGISTRY: registryPrefix };
    const pushed = runBuilds(workspace, { ...env, IMAGE_PUSH: 'true' });
    expect(pushed.ran.sort()).toEqual([...graph.order].sort());
    freshEngine();
    const leaf = graph.leaves[0];
    writeDockerfile(workspace, leaf, `${leaf}-v2`);
    workspace.commit(`change ${leaf}`);
    const run = runBuilds(workspace, env);
    expect(built(workspace, run)).toEqual([leaf]);
    // The parent pulled for the leaf counts as reused from the registry, not as restored by Nx.
    expect(run.counts).toMatchObject({ built: 1, registry: 1, nx: graph.order.length - 2 });
    const parent = readRecordIn(workspace.root, parentOf(leaf)!)!;
    expect(run.output).toMatch(new RegExp(`${parent.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .* pulling it from the registry by digest`));
    expect(inEngine(parent.image)).toBe(true);
    expect(inEngine(readRecordIn(workspace.root, root)!.image)).toBe(false);
    await expectSound(workspace, env, run);
  });

  it('registry repositories deleted with a warm Nx cache while pushing: the push puts every image back', async () => {
    const env = { CUSTOM_REGISTRY: registryPrefix, IMAGE_PUSH: 'true' };
    runBuilds(workspace, env);
    for (const record of Object.values(records(workspace))) {
      expect(await deleteRepositoryManifests(machine, services, record.image.slice(0, record.image.lastIndexOf(':')))).toBeGreaterThan(0);
      expect(await inRegistry(record.image)).toBe(false);
    }
    const run = runBuilds(workspace, env);
    expect(run.counts.nx).toBe(0);
    const registry = registryClientFor(machine);
    for (const record of Object.values(records(workspace))) {
      expect(record.digest).toMatch(/^sha256:/);
      expect(await registry.manifestDigest(record.image)).toBe(record.digest);
    }
    await expectSound(workspace, env, run);
  });

  it('.nx/cache copied into a fresh clone on an empty engine: a test of a restored image rebuilds its chain, then builds go on', async () => {
    const clone = cloneTempWorkspace(workspace, 'kf-sound-reuse-clone-');
    try {
      // Nx 23 restores only artifacts its database knows: the cache travels with it.
      cpSync(join(workspace.root, '.nx', 'cache'), join(clone.root, '.nx', 'cache'), { recursive: true });
      mkdirSync(join(clone.root, '.nx', 'workspace-data'), { recursive: true });
      for (const file of readdirSync(join(workspace.root, '.nx', 'workspace-data')).filter((name) => name.endsWith('.db'))) {
        cpSync(join(workspace.root, '.nx', 'workspace-data', file), join(clone.root, '.nx', 'workspace-data', file));
      }
      freshEngine();
      const leaf = graph.leaves.find((candidate) => candidate !== graph.leaves[0])!;
      const test = clone.nx(['run', `${leaf}:test-cpu`, '--output-style=static'], { ...machine.env, IMAGE_RUNTIME: 'docker' });
      const image = readRecordIn(clone.root, leaf)?.image;
      if (image) dockerImages.add(image);
      expectNxSuccess(test);
      expect(tasksRun(test.output, TARGET)).toEqual([]);
      expect(test.output).toContain(`${image} (${leaf}'s build record, restored from the Nx cache) is not in podman's storage nor in a registry: rebuilding it from its record`);
      expect(test.output).toMatch(new RegExp(`${leaf}:test-cpu: all \\d+ checks passed`));
      const run = runBuilds(clone, {});
      expect(built(clone, run)).toEqual([graph.leaves[0]]);
      await expectSound(clone, {}, run);
    } finally {
      clone.remove();
    }
  });

  it('a stale parent record is refused with one line and the command, never "fix the Dockerfile"', () => {
    freshEngine();
    const leaf = graph.leaves[0];
    const parent = parentOf(leaf)!;
    const record = readRecordIn(workspace.root, parent)!;
    writeDockerfile(workspace, parent, `${parent}-v3`);
    // Only the leaf runs: the parent's record in dist/ is the old one, and its image is in no storage.
    const result = workspace.nx(['run', `${leaf}:${TARGET}`, '--excludeTaskDependencies', '--output-style=static'], machine.env);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(`${record.image} is missing and cannot be rebuilt from its record`);
    expect(result.output).toMatch(new RegExp(`not the recorded ${record.contentTag} \\(the record is stale\\): run npx nx run ${parent}:${TARGET} --skip-nx-cache`));
    expect(result.output).not.toMatch(/fix images\/[^ ]+\/Dockerfile/);
    expect(result.output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
    expect(readRecordIn(workspace.root, leaf)).toBeNull();
  });
});
