import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { git } from '@kubeflow-images/plugin-lib/git/run-git';
import { createDockerStacksFixture, createGpuJupyterFixture, type DockerStacksFixture, type GpuJupyterFixture } from '@kubeflow-images/plugin-lib/gpu-upstream/testing/fixture-repos';
import { hasStream, isImageProject, STREAMS, toImageGraph, UPSTREAM_TAG, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { CPU_UPSTREAM_KEY, parseUpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { freePort } from './support/free-port';
import { createPodmanMachine, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn } from './support/records';
import { createTempWorkspace, NX_TEST_ENV, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';

/**
 * `npm run upstream:update` against a registry standing in for quay (the
 * local registry, with its login): commit tags, date tags and `latest`;
 * local git repositories standing in for docker-stacks and gpu-jupyter (the
 * gpu stream is really generated and parity-checked on the new commit); a
 * recorded trivy report for the rebuild date. The cases share one workspace
 * and run in order. Needs tools/scripts/e2e-services.sh start.
 */
jest.setTimeout(300_000);

let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let stacks: DockerStacksFixture;
let gpu: GpuJupyterFixture;
let images: ImageGraph;
let repository: string;
let registry: RegistryClient;
const digests: Record<string, string> = {};
const short = (commit: string) => commit.slice(0, 12);
/** The day before today: the committed rebuild date of the fixture, so only a finding (not age) can move it. */
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

const file = (path: string) => readFileSync(join(workspace.root, path), 'utf8');
const settingsValue = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(file('build_settings.env'))?.[1];
const pinFiles = () => ({ settings: file('build_settings.env'), lock: file('upstream-lock.json') });
const mtimes = () => ['build_settings.env', 'upstream-lock.json'].map((path) => statSync(join(workspace.root, path)).mtimeMs);

function update(args: string[] = []) {
  const result = spawnSync('npm', ['run', '--silent', 'upstream:update', '--', ...args], {
    cwd: workspace.root,
    encoding: 'utf8',
    env: { ...process.env, ...NX_TEST_ENV, ...machine.env },
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (process.env.SHOW_NX_OUTPUT) console.log(output);
  return { status: result.status, output };
}

/** The content tag of every build target of every project, from plan mode (offline). */
function plannedContentTags(): Record<string, string> {
  const result = workspace.nx(['run-many', '-t', ...STREAMS.map((s) => `build-${s}`), '-c', 'plan', '--output-style=static']);
  if (result.status !== 0) throw new Error(`plan failed:\n${result.output.slice(-4000)}`);
  const tags: Record<string, string> = {};
  for (const node of Object.values(images)) {
    for (const stream of STREAMS.filter((s) => hasStream(node, s))) tags[`${node.name}:${stream}`] = readRecordIn(workspace.root, node.name, stream)!.contentTag;
  }
  return tags;
}

/** A recorded scan of a published image of ours, built with `date`: a HIGH finding with a fix in one of our layers. */
function scanReports(date: string): string {
  const dir = join(workspace.root, 'tmp', `scan-${date}`);
  mkdirSync(dir, { recursive: true });
  const recorded = readFileSync(join(WORKSPACE_ROOT, 'tools/upstream/testing/trivy-minimal-notebook-cpu.json'), 'utf8');
  writeFileSync(join(dir, 'minimal-cpu.json'), recorded.replaceAll('2026-12-01', date));
  return dir;
}

beforeAll(async () => {
  services = readE2eServices();
  process.env.NX_DAEMON = 'false';
  process.chdir(WORKSPACE_ROOT);
  images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  machine = createPodmanMachine(services);
  registry = new RegistryClient({ env: machine.env });
  workspace = createTempWorkspace('kf-upstream-update-');
  stacks = createDockerStacksFixture(join(workspace.root, 'tmp', 'fixtures', 'docker-stacks'));
  gpu = createGpuJupyterFixture(join(workspace.root, 'tmp', 'fixtures', 'gpu-jupyter'));
  git(gpu.repo.path, ['tag', 'v1.9_cuda-12.9_ubuntu-24.04', gpu.commits[0]]);
  git(gpu.repo.path, ['tag', '-a', '-m', 'release', 'v1.10_cuda-12.9_ubuntu-24.04', gpu.commits[1]]);

  // quay's shape: each build under its commit tag, a date tag, and latest on the newest build; the lexically
  // highest commit tag is an older build.
  repository = `${services.registry}/uupd-${Date.now().toString(36)}/datascience-notebook`;
  digests.old = pushFixtureUpstream(machine, `${repository}:${short(stacks.commits[0])}`, 'upstream-old');
  digests.highest = pushFixtureUpstream(machine, `${repository}:ffffffffffff`, 'upstream-highest-tag');
  digests.latest = pushFixtureUpstream(machine, `${repository}:${short(stacks.commits[1])}`, 'upstream-latest');
  await registry.retag(`${repository}:${short(stacks.commits[1])}`, ['2026-12-01', 'latest']);
  await registry.retag(`${repository}:${short(stacks.commits[0])}`, ['2026-11-01']);

  const settings = file('build_settings.env')
    .replace(/^UPSTREAM_CONTAINER_CPU_UNTAGGED=.*$/m, `UPSTREAM_CONTAINER_CPU_UNTAGGED=${repository}`)
    .replace(/^UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=.*$/m, `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${short(stacks.commits[0])}`)
    .replace(/^DOCKER_STACKS_REPO=.*$/m, `DOCKER_STACKS_REPO=${stacks.repo.path}`)
    .replace(/^GPU_JUPYTER_REPO=.*$/m, `GPU_JUPYTER_REPO=${gpu.repo.path}`)
    .replace(/^GPU_JUPYTER_HEAD_COMMIT=.*$/m, `GPU_JUPYTER_HEAD_COMMIT=${gpu.commits[0]}`)
    .replace(/^IMAGE_REBUILD_DATE=.*$/m, `IMAGE_REBUILD_DATE=${yesterday}`);
  workspace.write('build_settings.env', settings);
  const lock = parseUpstreamLock(file('upstream-lock.json'));
  lock.upstreams[CPU_UPSTREAM_KEY] = { reference: `${repository}:${short(stacks.commits[0])}`, digest: null, checkedAt: '2026-12-01T00:00:00.000Z' };
  workspace.write('upstream-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
  workspace.commit('fixture upstream, not yet locked');
}, 300_000);

afterAll(() => {
  workspace?.remove();
  machine?.remove();
});

describe('npm run upstream:update', () => {
  it('changes nothing, names what it could not check and exits non-zero when the registry is unreachable', async () => {
    const before = pinFiles();
    const unreachable = `127.0.0.1:${await freePort()}/jupyter/datascience-notebook`;
    workspace.write('build_settings.env', before.settings.replace(`UPSTREAM_CONTAINER_CPU_UNTAGGED=${repository}`, `UPSTREAM_CONTAINER_CPU_UNTAGGED=${unreachable}`));
    const written = pinFiles();
    const result = update();
    expect(result.status).toBe(1);
    expect(result.output).toMatch(new RegExp(`could not check docker-stacks' latest \\(${unreachable.replace(/[.]/g, '\\.')}\\): registry 127\\.0\\.0\\.1:\\d+ is not reachable`));
    expect(result.output).toContain('nothing changed');
    expect(pinFiles()).toEqual(written);
    workspace.write('build_settings.env', before.settings);
  });

  it("moves the commit to latest's (not the highest tag), locks its digest, keeps every comment, and reports gpu-jupyter", () => {
    const before = pinFiles();
    const result = update();
    expect(result.status).toBe(0);
    expect(settingsValue('UPSTREAM_CONTAINER_CPU_HEAD_COMMIT')).toBe(short(stacks.commits[1]));
    // One line moved; every comment, reference and blank line is where it was.
    expect(file('build_settings.env')).toBe(before.settings.replace(`UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${short(stacks.commits[0])}`, `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${short(stacks.commits[1])}`));
    expect(parseUpstreamLock(file('upstream-lock.json')).upstreams[CPU_UPSTREAM_KEY]).toMatchObject({ reference: `${repository}:${short(stacks.commits[1])}`, digest: digests.latest });
    // The other upstreams' entries stay as they were.
    const { [CPU_UPSTREAM_KEY]: _cpu, ...others } = parseUpstreamLock(file('upstream-lock.json')).upstreams;
    const { [CPU_UPSTREAM_KEY]: _oldCpu, ...othersBefore } = parseUpstreamLock(before.lock).upstreams;
    expect(others).toEqual(othersBefore);
    // Both streams on one commit: the gpu stream was generated from it; the gpu-jupyter pin did not move.
    expect(JSON.parse(file('dist/images/gpu-upstream/generation.json'))).toMatchObject({ dockerStacks: { commit: stacks.commits[1] } });
    expect(settingsValue('GPU_JUPYTER_HEAD_COMMIT')).toBe(gpu.commits[0]);
    expect(result.output).toContain(`a newer release than GPU_JUPYTER_HEAD_COMMIT v1.9_cuda-12.9_ubuntu-24.04 (${short(gpu.commits[0])}): v1.10_cuda-12.9_ubuntu-24.04 (${short(gpu.commits[1])})`);
  });

  it('says "up to date", exits 0 and writes nothing when nothing moved', () => {
    const before = { files: pinFiles(), mtimes: mtimes() };
    const result = update();
    expect(result.status).toBe(0);
    expect(result.output).toMatch(/^up to date$/m);
    expect({ files: pinFiles(), mtimes: mtimes() }).toEqual(before);
  });

  it('moves no pin when the gpu stream cannot be generated from the new commit', async () => {
    const before = pinFiles();
    digests.unknown = pushFixtureUpstream(machine, `${repository}:eeeeeeeeeeee`, 'upstream-unknown-commit');
    await registry.retag(`${repository}:eeeeeeeeeeee`, ['latest']);
    try {
      const result = update();
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/the gpu stream fails on docker-stacks eeeeeeeeeeee, so no pin moves: gpu-upstream:generate: .*eeeeeeeeeeee/);
      expect(pinFiles()).toEqual(before);
    } finally {
      await registry.retag(`${repository}:${short(stacks.commits[1])}`, ['latest']);
    }
  });
});

describe('the rebuild date', () => {
  it('a fixable finding in our layers changes every content tag of ours once; a second run changes none', () => {
    const ours = Object.values(images).filter((node) => isImageProject(node) && !node.tags.includes(UPSTREAM_TAG));
    expect(ours.length).toBeGreaterThan(0);
    const before = plannedContentTags();
    const reports = scanReports(yesterday);

    const bump = update(['--scan-reports', reports]);
    expect(bump.status).toBe(0);
    const today = new Date().toISOString().slice(0, 10);
    expect(settingsValue('IMAGE_REBUILD_DATE')).toBe(today);
    expect(bump.output).toContain(`rebuild date: ${yesterday} -> ${today}: 1 HIGH/CRITICAL finding(s) with a fixed version in our layers (CVE-2026-1002)`);
    // The exactly pinned package is a pin to bump, reported, not a trigger.
    expect(bump.output).toContain('pin to bump: kubernetes=30.1.0 in images/base/Dockerfile holds CVE-2026-1003');
    const after = plannedContentTags();
    for (const [target, tag] of Object.entries(after)) {
      const project = target.split(':')[0];
      if (images[project].tags.includes(UPSTREAM_TAG)) expect({ target, tag }).toEqual({ target, tag: before[target] });
      else expect({ target, changed: tag !== before[target] }).toEqual({ target, changed: true });
    }

    const again = update(['--scan-reports', reports]);
    expect(again.status).toBe(0);
    expect(again.output).toMatch(/^up to date$/m);
    expect(plannedContentTags()).toEqual(after);
  });
});
