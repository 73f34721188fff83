import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { hasStream, isImageProject, toImageGraph, UPSTREAM_TAG, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parseUpstreamLock, CPU_UPSTREAM_KEY } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { freePort } from './support/free-port';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn, tasksRun } from './support/records';
import { createTempWorkspace, expectNxSuccess, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';

/**
 * The upstream lock on real podman and the local registry: a fixture upstream
 * whose tag is re-pushed with new content changes nothing until `npm run pins`
 * refreshes upstream-lock.json; then every cpu image is rebuilt on the new
 * digest. One fixture family is built once and shared by the cases, in order.
 * Needs tools/scripts/e2e-services.sh start.
 */
jest.setTimeout(300_000);

let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let images: ImageGraph;
/** The cpu images, from the Nx graph. */
let cpuImages: string[];
/** Roots of the cpu stream: their parent is the pin. */
let roots: string[];
let upstream: string;
let firstDigest: string;
let secondDigest: string;

const lockText = () => readFileSync(join(workspace.root, 'upstream-lock.json'), 'utf8');
const record = (project: string) => readRecordIn(workspace.root, project, 'cpu')!;
const lineage = (image: string) => machine.readFile(image, '/lineage').trim().split('\n');

function nx(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = workspace.nx([...args, '--output-style=static'], { ...machine.env, ...env });
  if (process.env.SHOW_NX_OUTPUT) console.log(result.output);
  return result;
}

/** `npm run pins` in the fixture workspace, with the machine's registry login. */
function pins(keys: string[] = []) {
  const result = spawnSync('npm', ['run', '--silent', 'pins', '--', ...keys], {
    cwd: workspace.root,
    encoding: 'utf8',
    env: { ...process.env, ...machine.env },
  });
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

beforeAll(async () => {
  services = readE2eServices();
  process.env.NX_DAEMON = 'false';
  process.chdir(WORKSPACE_ROOT);
  images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  cpuImages = Object.values(images).filter((node) => isImageProject(node) && hasStream(node, 'cpu')).map((node) => node.name).sort();
  roots = cpuImages.filter((name) => images[name].implicitDependencies.some((dep) => images[dep]?.tags.includes(UPSTREAM_TAG)));

  machine = createPodmanMachine(services);
  upstream = `${services.registry}/ulock-${Date.now().toString(36)}/datascience-notebook:fixture`;
  firstDigest = pushFixtureUpstream(machine, upstream, 'upstream-one');
  workspace = createTempWorkspace('kf-upstream-lock-');
  workspace.write('build_settings.env', fixtureBuildSettings(upstream));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, firstDigest));
  for (const project of cpuImages) workspace.write(`${images[project].root}/Dockerfile`, fixtureDockerfile(project));
  workspace.commit('fixture Dockerfiles, upstream locked');

  expectNxSuccess(nx(['run-many', '-t', 'build-cpu']));
  for (const root of roots) expect(record(root).parent).toBe(`${upstream}@${firstDigest}`);
}, 300_000);

afterAll(() => {
  workspace?.remove();
});

describe('an upstream tag re-pushed with new content', () => {
  it('changes nothing until the lock is refreshed: 0 rebuilds, same content tags, old upstream content', () => {
    const before = Object.fromEntries(cpuImages.map((project) => [project, record(project).contentTag]));
    secondDigest = pushFixtureUpstream(machine, upstream, 'upstream-two');
    expect(secondDigest).not.toBe(firstDigest);

    // Past the Nx cache too: the executor itself plans on the locked digest and finds every image built.
    const result = nx(['run-many', '-t', 'build-cpu', '--skip-nx-cache']);
    expectNxSuccess(result);
    for (const project of cpuImages) {
      expect(record(project)).toMatchObject({ contentTag: before[project], source: 'local' });
    }
    expect(result.output).not.toMatch(/\bbuilt \S+-cpu:content-/);
    for (const project of cpuImages) expect(lineage(record(project).image)[0]).toBe('upstream-one');
  });

  it('npm run pins refreshes what it can reach, names what it cannot, and says not all were refreshed', () => {
    const result = pins();
    expect(result.status).toBe(1);
    expect(result.output).toMatch(new RegExp(`UPSTREAM_CONTAINER_CPU\\s+${upstream.replace(/[.]/g, '\\.')}\\s+${firstDigest.slice(0, 19)}…\\s+${secondDigest.slice(0, 19)}…`));
    // The fixture workspace has no gpu-jupyter to read the cuda tag from: named, with the reason, not fatal to the rest.
    expect(result.output).toContain('pins: gpu-upstream/nvidia-cuda (');
    expect(result.output).toContain('cannot fetch gpu-jupyter from /nonexistent/gpu-jupyter (GPU_JUPYTER_REPO in build_settings.env)');
    expect(parseUpstreamLock(lockText()).upstreams[CPU_UPSTREAM_KEY]).toMatchObject({ reference: upstream, digest: secondDigest });

    // Asking again for the cpu upstream alone: all refreshed, nothing changed, the file untouched.
    const unchanged = lockText();
    const again = pins([CPU_UPSTREAM_KEY]);
    expect(again.status).toBe(0);
    expect(again.output).toContain('upstream-lock.json unchanged');
    expect(lockText()).toBe(unchanged);
  });

  it('after the refresh, every image is rebuilt on the new digest, and the roots\' records show it', () => {
    workspace.commit('npm run pins');
    const result = nx(['run-many', '-t', 'build-cpu']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'build-cpu')).toEqual(cpuImages);
    for (const project of cpuImages) {
      const built = record(project);
      expect(built.source).toBe('built');
      expect(lineage(built.image)[0]).toBe('upstream-two');
    }
    for (const root of roots) expect(record(root).parent).toBe(`${upstream}@${secondDigest}`);
  });
});

describe('a lock that cannot be refreshed or is not there', () => {
  it('with the registry down, names the upstream and the cause, exits non-zero and leaves the lock byte-identical', async () => {
    const down = `127.0.0.1:${await freePort()}/ulock/datascience-notebook:fixture`;
    workspace.write('build_settings.env', fixtureBuildSettings(down));
    workspace.write('upstream-lock.json', fixtureCpuLock(down, secondDigest));
    const before = lockText();
    const result = pins([CPU_UPSTREAM_KEY]);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(
      new RegExp(`pins: UPSTREAM_CONTAINER_CPU \\(${down.replace(/[.]/g, '\\.')}\\) not refreshed: registry 127\\.0\\.0\\.1:\\d+ is not reachable \\(connection refused\\); its entry in upstream-lock\\.json is left as it was`),
    );
    expect(lockText()).toBe(before);
  });

  it('without a digest, a plan warns and goes on by tag, a real build refuses with one line and writes no record', () => {
    workspace.write('build_settings.env', fixtureBuildSettings(upstream));
    workspace.write('upstream-lock.json', fixtureCpuLock(upstream, secondDigest).replace(/"digest": "sha256:[0-9a-f]+"/, '"digest": null'));
    const root = roots[0];
    const plan = nx(['run', `${root}:build-cpu`, '-c', 'plan', '--skip-nx-cache']);
    expectNxSuccess(plan);
    expect(plan.output).toContain(`warning: ${root}:build-cpu: upstream-lock.json has no digest for "UPSTREAM_CONTAINER_CPU" (${upstream}): planned on the tag; run \`npm run pins\` before a real build`);
    expect(record(root)).toMatchObject({ planned: true, parent: upstream });

    const build = nx(['run', `${root}:build-cpu`, '--skip-nx-cache']);
    expect(build.status).not.toBe(0);
    expect(build.output).toContain(
      `${root}:build-cpu: upstream-lock.json has no digest for "UPSTREAM_CONTAINER_CPU" (${upstream}): builds use upstreams by digest only; run \`npm run pins\` to lock it, then commit upstream-lock.json`,
    );
    expect(readRecordIn(workspace.root, root, 'cpu')).toBeNull();
  });
});
