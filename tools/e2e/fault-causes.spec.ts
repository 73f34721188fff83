/**
 * Faults as users meet them, on real podman and a registry of the suite's
 * own behind the failing-registry proxy: each failure names its real cause,
 * a registry that throttles is retried, a credential helper is used, and a
 * failed task makes the run exit 1. One workspace and one registry for every
 * case; the cases run in order and share the registry's state. Runs as root
 * (CI does): the full-TMPDIR case mounts a small tmpfs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { readE2eServices } from './support/e2e-services';
import { startFailingRegistryProxy, type FailingRegistryProxy } from './support/failing-registry-proxy';
import { descendantsOf, notebookImagesOf, workspaceImageGraph } from './support/image-hierarchy';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { startPrivateRegistry, type PrivateRegistry } from './support/private-registry';
import { readRecordIn } from './support/records';
import { createTempWorkspace, expectNxSuccess, type TempWorkspace } from './support/temp-workspace';
import type { ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';

jest.setTimeout(600_000);

const REPOSITORY = 'faults';
let registry: PrivateRegistry;
let proxy: FailingRegistryProxy;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let graph: ImageGraph;
/** From the Nx graph: the cpu notebook images, and those below base. */
let images: { all: string[]; belowBase: string[] };
const scratch: string[] = [];
/** Podman storages the cases made besides the suite's own. */
const machines: PodmanMachine[] = [];

function nx(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = workspace.nx([...args, '--output-style=static'], { ...machine.env, IMAGE_REGISTRY: `${proxy.host}/${REPOSITORY}`, ...env });
  return { ...result, output: stripVTControlCharacters(result.output) };
}

/** The line a failed task printed about itself (`<task>: …`), without the engine's streamed output. */
function causeLine(output: string, task: string): string {
  const lines = output.split('\n').filter((line) => line.startsWith(`${task}: `));
  if (lines.length === 0) throw new Error(`no line of ${task} in:\n${output.slice(-4000)}`);
  return lines[lines.length - 1];
}

/** Makes `project`'s Dockerfile unique (plus `extraRun` in its RUN), so its content tag is new to the registry and the engine. */
function changeImage(project: string, extraRun = ''): void {
  workspace.write(`${graph[project].root}/Dockerfile`, fixtureDockerfile(`${project}-${Date.now()}`, extraRun));
}

beforeAll(async () => {
  graph = await workspaceImageGraph();
  const all = notebookImagesOf(graph, 'cpu');
  images = { all, belowBase: descendantsOf(graph, 'base', 'cpu') };
  const services = readE2eServices();
  registry = await startPrivateRegistry();
  proxy = await startFailingRegistryProxy(registry.host);
  machine = createPodmanMachine({ ...services, registry: proxy.host, user: registry.user }, registry.password);
  const upstream = `${proxy.host}/${REPOSITORY}/datascience-notebook:fixture`;
  const digest = pushFixtureUpstream(machine, upstream);
  workspace = createTempWorkspace('kf-faults-');
  // podman whatever E2E_ENGINE says: the causes checked are what podman prints, and its pushes take the suite's logins.
  workspace.write('build_settings.env', fixtureBuildSettings(upstream, { IMAGE_ENGINE: 'podman' }));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, digest));
  for (const image of all) workspace.write(`${graph[image].root}/Dockerfile`, fixtureDockerfile(image));
  workspace.commit('fixture Dockerfiles');
});

afterAll(async () => {
  await proxy?.fail(null);
  workspace?.remove();
  machine?.remove();
  for (const other of machines) other.remove();
  await proxy?.stop();
  await registry?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('a failed task', () => {
  it('makes run-many exit 1, and the closing line counts the failed and the not-run tasks apart', () => {
    workspace.write(`${graph.base.root}/Dockerfile`, fixtureDockerfile('base', 'false'));
    const result = nx(['run-many', '-t', 'build-cpu'], { IMAGE_PUSH: 'false' });
    expect(result.status).toBe(1);
    expect(causeLine(result.output, 'base:build-cpu')).toMatch(/^base:build-cpu: step "RUN echo base >> \/lineage && false" of images\/base\/Dockerfile:\d+ failed/);
    expect(result.output).toContain(`images: built 0, reused from the registry 0, from the engine 0, restored by Nx 0; failed 1, not run ${images.belowBase.length}`);
  });
});

/** The repository `project`'s cpu image is pushed to, from a plan (what the proxy's rules name). */
function repositoryOf(project: string): string {
  const planned = nx(['run', `${project}:build-cpu`, '-c', 'plan']);
  expectNxSuccess(planned);
  const image = readRecordIn(workspace.root, project)!.image;
  return image.slice(`${proxy.host}/`.length, image.lastIndexOf(':'));
}

/** Lines of one kind of retry in a run's output. */
const retryLines = (output: string, pattern: RegExp) => output.split('\n').filter((line) => pattern.test(line));

/** A run that pushes one image (base: its parent is the fixture upstream), with no layer cache to keep it to the image itself. */
const PUSH = { IMAGE_PUSH: 'true', IMAGE_LAYER_CACHE: 'false' };

describe('a push the registry fails', () => {
  let repository: string;
  beforeAll(() => {
    workspace.write(`${graph.base.root}/Dockerfile`, fixtureDockerfile('base'));
    repository = repositoryOf('base');
  });
  afterEach(() => proxy.fail(null));

  it('is retried while the registry throttles: 429 twice, then a pass, with one line per retry', async () => {
    changeImage('base');
    await proxy.fail({ repository, status: 429, retryAfter: 1, times: 2 });
    const result = nx(['run', 'base:build-cpu'], PUSH);
    expectNxSuccess(result);
    expect(retryLines(result.output, /retrying in/)).toEqual([
      expect.stringMatching(new RegExp(`^\\[[\\d:]+ UTC\\] registry ${proxy.host}, HEAD /v2/${repository}/manifests/content-[0-9a-f]+: answered HTTP 429 \\(too many requests\\); retrying in 1 s \\(retry 1 of 3\\)$`)),
      expect.stringMatching(/retrying in 1 s \(retry 2 of 3\)$/),
    ]);
    expect(readRecordIn(workspace.root, 'base')!.digest).toMatch(/^sha256:/);
  });

  it('names the HTTP status of a 500 on the manifest PUT, and not the Dockerfile', async () => {
    changeImage('base');
    await proxy.fail({ repository, method: 'PUT', under: 'manifests/', status: 500 });
    const result = nx(['run', 'base:build-cpu'], PUSH);
    expect(result.status).toBe(1);
    const cause = causeLine(result.output, 'base:build-cpu');
    expect(cause).toMatch(new RegExp(`^base:build-cpu: registry ${proxy.host} answered HTTP 500 while podman pushed ${proxy.host}/${repository}:content-[0-9a-f]+ \\(writing manifest: .*received unexpected HTTP status: 500 Internal Server Error\\): the registry failed`));
    expect(cause).not.toContain('Dockerfile');
    // The push was tried again, a bounded number of times.
    expect(retryLines(result.output, /^\[[\d:]+ UTC\] podman push .*retrying in/)).toHaveLength(3);
    expect(readRecordIn(workspace.root, 'base')).toBeNull();
  });

  it('names the registry when the connection is cut mid-upload', async () => {
    changeImage('base', 'head -c 1048576 /dev/urandom > /upload');
    await proxy.fail({ repository, method: 'PATCH', cut: true });
    const result = nx(['run', 'base:build-cpu'], PUSH);
    expect(result.status).toBe(1);
    const cause = causeLine(result.output, 'base:build-cpu');
    expect(cause).toMatch(new RegExp(`^base:build-cpu: podman lost the connection to registry ${proxy.host} while pushing ${proxy.host}/${repository}:content-[0-9a-f]+ \\(writing blob: .*(broken pipe|connection reset by peer|use of closed network connection|EOF)\\)`));
    expect(cause).not.toContain('Dockerfile');
  });
});

describe('a full TMPDIR', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'kf-faults-tmp-'));
    scratch.push(tmp);
    // Small enough that podman cannot keep one layer of the build there.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', tmp]);
  });
  afterAll(() => {
    if (tmp) execFileSync('umount', [tmp]);
  });

  it('is named, with the folder, and not blamed on the Dockerfile', () => {
    changeImage('base', 'head -c 3145728 /dev/urandom > /big');
    const result = nx(['run', 'base:build-cpu'], { IMAGE_PUSH: 'false', TMPDIR: tmp });
    expect(result.status).toBe(1);
    const cause = causeLine(result.output, 'base:build-cpu');
    expect(cause).toMatch(new RegExp(`^base:build-cpu: podman ran out of disk space in TMPDIR \\(${tmp}[^)]*\\)`));
    expect(cause).not.toContain('Dockerfile');
  });
});

describe('a docker credential helper', () => {
  let bin: string;
  let dockerConfig: string;
  let calls: string;
  /** The run's environment: no login podman finds itself, a docker config naming `helper`, and the helpers on PATH. */
  const env = () => ({ ...PUSH, REGISTRY_AUTH_FILE: join(bin, 'no-login.json'), DOCKER_CONFIG: dockerConfig, PATH: `${bin}:${process.env.PATH}` });

  beforeAll(() => {
    bin = mkdtempSync(join(tmpdir(), 'kf-faults-helper-'));
    dockerConfig = join(bin, 'docker');
    calls = join(bin, 'calls.log');
    scratch.push(bin);
    mkdirSync(dockerConfig);
    writeFileSync(join(bin, 'no-login.json'), '{"auths":{}}\n');
    // docker-credential-helpers' protocol: `get`, the server on stdin, the login as JSON on stdout.
    writeFileSync(
      join(bin, 'docker-credential-test'),
      ['#!/bin/sh', 'read server', `echo "$1 $server" >> ${calls}`, `printf '{"ServerURL":"%s","Username":"${registry.user}","Secret":"${registry.password}"}\\n' "$server"`, ''].join('\n'),
    );
    chmodSync(join(bin, 'docker-credential-test'), 0o755);
  });

  it('is asked for the login of the registry checks and of the push (credsStore, which podman cannot read itself)', () => {
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ credsStore: 'test' }));
    changeImage('base');
    const result = nx(['run', 'base:build-cpu'], env());
    expectNxSuccess(result);
    expect(readRecordIn(workspace.root, 'base')!.digest).toMatch(/^sha256:/);
    expect(readFileSync(calls, 'utf8')).toContain(`get ${proxy.host}`);
  });

  it('gives the login for pulling a parent back by digest into an empty storage (a new runner)', () => {
    const runner = createPodmanMachine({ ...readE2eServices(), registry: proxy.host, user: registry.user }, registry.password);
    machines.push(runner);
    const child = images.all.find((project) => graph[project].implicitDependencies.includes('base'))!;
    changeImage(child);
    const result = nx(['run', `${child}:build-cpu`], { ...runner.env, ...env() });
    expectNxSuccess(result);
    expect(result.output).toMatch(/is not in podman's storage: pulling it from the registry by digest/);
    expect(readRecordIn(workspace.root, child)!.digest).toMatch(/^sha256:/);
  });

  it('that is not installed is one line naming it', () => {
    writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [proxy.host]: 'missing' } }));
    changeImage('base');
    const result = nx(['run', 'base:build-cpu'], env());
    expect(result.status).toBe(1);
    const named = result.output.split('\n').filter((line) => line.includes('docker-credential-missing'));
    expect(named).toEqual([
      `base:build-cpu: ${join(dockerConfig, 'config.json')} names the credential helper "missing" (credHelpers["${proxy.host}"]) for ${proxy.host}, but docker-credential-missing is not on PATH: install it, or remove that entry (or log in with \`podman login ${proxy.host}\`)`,
    ]);
  });
});

describe('a replay from the Nx cache', () => {
  it('says when the replayed line looked, and claims nothing about the storage now', async () => {
    changeImage('base');
    expectNxSuccess(nx(['run', 'base:build-cpu'], { IMAGE_PUSH: 'false' }));
    const checked = nx(['run', 'base:build-cpu', '--skip-nx-cache'], { IMAGE_PUSH: 'false' });
    expectNxSuccess(checked);
    const image = readRecordIn(workspace.root, 'base')!.image;
    const line = checked.output.split('\n').find((text) => text.includes(`${image} was in podman's storage: not rebuilt`));
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d UTC\] /);
    // The storage loses the image; a second later Nx replays the task.
    machine.podman(['rmi', '--force', image]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const replayed = nx(['run', 'base:build-cpu'], { IMAGE_PUSH: 'false' });
    expectNxSuccess(replayed);
    expect(replayed.output).toContain('[local cache]');
    // The replay is the old line with its old time, not a claim made now.
    expect(replayed.output.split('\n').filter((text) => text.includes('was in podman'))).toEqual([line]);
    expect(replayed.output).toContain('restored by Nx 1');
  });
});
