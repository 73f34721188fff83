import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { nxBinary } from '../ci/lib/nx-cli';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { freePort } from './support/free-port';
import { descendantsOf, imagesOf, middleImage, notebookImagesOf, workspaceImageGraph } from './support/image-hierarchy';
import { dockerContainers, notebookFixtureDockerfile, pushNotebookFixtureUpstream, removeDockerImages } from './support/notebook-fixtures';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn, tasksRun } from './support/records';
import { createTempWorkspace, expectNxSuccess, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';

/**
 * test-cpu and serve-cpu for real: fixture images built through the real Nx
 * CLI with podman, run with docker (podman cannot run containers on these
 * machines), on a git copy of the workspace whose Dockerfiles and checks.json
 * are small fixtures. The fixtures serve HTTP under NB_PREFIX with busybox
 * httpd and have no python, so their checks.json use commands only.
 */
const UPSTREAM = 'fixtures/notebook-upstream:fixture-commit';
const ROLE = 'io.kubeflow-images.role';

/** Each image's fixture checks: its own line in /lineage, plus what the cases below rely on. */
const checksOf = (image: string): string[] =>
  ({
    base: ['test -x /usr/local/bin/start-notebook.sh'],
    'r-studio': ['grep -qx r-studio /lineage', 'echo "$HOME" | grep -q jovyan'],
  })[image] ?? [`grep -qx ${image} /lineage`];

jest.setTimeout(300_000);

let services: E2eServices;
let machine: PodmanMachine;
let workspace: TempWorkspace;
const imagesSeen = new Set<string>();
let graph: ImageGraph;
/** The notebook images of the cpu stream, from the Nx graph. */
let IMAGES: string[];

function writeChecks(image: string, commands: string[]): void {
  workspace.write(`${graph[image].root}/tests/checks.json`, `${JSON.stringify({ commands }, null, 2)}\n`);
}

function nx(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = workspace.nx([...args, '--output-style=static', '--parallel=3'], { ...machine.env, IMAGE_RUNTIME: 'docker', ...env });
  for (const image of IMAGES) {
    const record = readRecordIn(workspace.root, image);
    if (record) imagesSeen.add(record.image);
  }
  return result;
}

function imageOf(project: string): string {
  return readRecordIn(workspace.root, project)!.image;
}

/** No container of any container test is left, nor any made from the image under test. */
function expectNoContainerLeft(project: string) {
  expect(dockerContainers({ label: `${ROLE}=test` })).toEqual([]);
  expect(dockerContainers({ image: imageOf(project) })).toEqual([]);
}

/** A failed test: non-zero exit, the clear line, no stack trace, no container left. */
function expectCheckFailure(result: { status: number | null; output: string }, project: string, line: RegExp, failed = 1) {
  if (result.status === 0) throw new Error(`expected ${project}:test-cpu to fail:\n${result.output.slice(-4000)}`);
  expect(result.output).toMatch(line);
  expect(result.output).toMatch(new RegExp(`${project}:test-cpu: ${failed} of \\d+ checks failed on ${imageOf(project).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  expect(result.output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expectNoContainerLeft(project);
}

beforeAll(async () => {
  graph = await workspaceImageGraph();
  IMAGES = notebookImagesOf(graph, 'cpu');
  services = readE2eServices();
  machine = createPodmanMachine(services);
  const upstreamDigest = pushNotebookFixtureUpstream(machine, `${services.registry}/${UPSTREAM}`);
  workspace = createTempWorkspace('kf-container-tests-');
  workspace.write('build_settings.env', fixtureBuildSettings(`${services.registry}/${UPSTREAM}`));
  workspace.write('upstream-lock.json', fixtureCpuLock(`${services.registry}/${UPSTREAM}`, upstreamDigest));
  for (const image of IMAGES) {
    workspace.write(`${graph[image].root}/Dockerfile`, notebookFixtureDockerfile(image, image === 'base' ? { rootRun: 'touch /opt/base-tool' } : {}));
    writeChecks(image, checksOf(image));
  }
  workspace.commit('fixture images and checks');
});

afterAll(() => {
  removeDockerImages(imagesSeen);
  workspace?.remove();
  if (machine) rmSync(machine.dir, { recursive: true, force: true });
});

describe('test-<stream> targets', () => {
  it('exist only for the streams an image builds', () => {
    const projects = (target: string) => {
      const result = workspace.nx(['show', 'projects', '--with-target', target, '--json']);
      expectNxSuccess(result);
      return (JSON.parse(result.stdout) as string[]).sort();
    };
    expect(projects('test-cpu')).toEqual([...IMAGES].sort());
    expect(projects('serve-cpu')).toEqual([...IMAGES].sort());
    // The gpu stream's generated root is tested too (its checks need no device); it serves nothing of its own.
    expect(projects('test-gpu')).toEqual(imagesOf(graph, 'gpu'));
    expect(projects('serve-gpu')).toEqual(notebookImagesOf(graph, 'gpu'));
  });
});

describe('container tests of real images through nx', () => {
  it('1. run-many -t test-cpu builds every image, copies it from podman to docker, and passes every check', () => {
    const result = nx(['run-many', '-t', 'test-cpu']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'build-cpu')).toEqual([...IMAGES].sort());
    expect(tasksRun(result.output, 'test-cpu')).toEqual([...IMAGES].sort());
    for (const image of IMAGES) {
      const reference = imageOf(image);
      expect(result.output).toContain(`${reference} is in podman's storage but not docker's: copying it (podman push --quiet ${reference} docker-daemon:${reference})`);
      expectNoContainerLeft(image);
    }
    // Five built-in checks, then the chain's: base 1, minimal 1, machine-learning 1.
    expect(result.output).toContain(`machine-learning:test-cpu: all 8 checks passed on ${imageOf('machine-learning')}`);
    expect(result.output).toContain(`r-studio:test-cpu: all 9 checks passed on ${imageOf('r-studio')}`);
    expect(result.output).toMatch(/✓ the image config's User is a numeric uid, not 0 \(Kubernetes runAsNonRoot\)/);
    expect(result.output).toMatch(/✓ command "test -x \/usr\/local\/bin\/start-notebook.sh" \[inherited from base, images\/base\/tests\/checks.json\]/);
    expect(result.output).toMatch(/✓ the server answers under NB_PREFIX \/notebook\/kf-test\/geomatics-cpu\//);
  });

  it('2. an unchanged workspace is all cache hits', () => {
    const result = nx(['run-many', '-t', 'test-cpu']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'test-cpu')).toEqual([]);
  });

  it('3. a rebuilt image is tested again, and only it and its descendants', () => {
    const middle = middleImage(graph, 'cpu');
    workspace.write(`${graph[middle].root}/Dockerfile`, notebookFixtureDockerfile(middle, { rootRun: 'echo v2 > /middle-version' }));
    const result = nx(['run-many', '-t', 'test-cpu']);
    expectNxSuccess(result);
    const rebuilt = [middle, ...descendantsOf(graph, middle, 'cpu')].sort();
    expect(tasksRun(result.output, 'build-cpu')).toEqual(rebuilt);
    expect(tasksRun(result.output, 'test-cpu')).toEqual(rebuilt);
  });

  it('4. a new check of an ancestor re-tests every descendant without rebuilding, and they inherit it', () => {
    writeChecks('base', [...checksOf('base'), 'test -e /opt/base-tool']);
    const result = nx(['run-many', '-t', 'test-cpu']);
    expectNxSuccess(result);
    expect(tasksRun(result.output, 'build-cpu')).toEqual([]);
    expect(tasksRun(result.output, 'test-cpu')).toEqual([...IMAGES].sort());
    expect(result.output).toContain(`machine-learning:test-cpu: all 9 checks passed on ${imageOf('machine-learning')}`);
  });

  it("5. test-cpu runs the checks.json section of its stream and not another stream's", () => {
    workspace.write(
      'images/base/tests/checks.json',
      `${JSON.stringify({ commands: checksOf('base'), streams: { cpu: { commands: ['test -e /opt/base-tool'] }, gpu: { commands: ['kf-gpu-only-check'] } } }, null, 2)}\n`,
    );
    const result = nx(['run', 'base:test-cpu']);
    expectNxSuccess(result);
    expect(result.output).toMatch(/✓ command "test -e \/opt\/base-tool" \[images\/base\/tests\/checks.json\]/);
    expect(result.output).not.toContain('kf-gpu-only-check');
    writeChecks('base', [...checksOf('base'), 'test -e /opt/base-tool']);
  });
});

describe('each check fails once, with one clear line, a non-zero exit and no container left', () => {
  it('the server does not answer under NB_PREFIX: the container log is shown', () => {
    workspace.write(
      'images/geomatics/Dockerfile',
      notebookFixtureDockerfile('geomatics', {
        lines: [`CMD ["sh", "-c", "echo 'fixture: NB_PREFIX ignored, serving / only'; exec httpd -f -v -p 8888 -h /tmp"]`],
      }),
    );
    const result = nx(['run', 'geomatics:test-cpu', '--startTimeout=4']);
    expectCheckFailure(
      result,
      'geomatics',
      /✗ geomatics-notebook-cpu:content-\S+: the server answers under NB_PREFIX \/notebook\/kf-test\/geomatics-cpu\/: no 2xx\/3xx answer under \/notebook\/kf-test\/geomatics-cpu\/ within 4s \(last answer HTTP 404\)\. Fix: the image's start command must serve the notebook on port 8888 under \$NB_PREFIX/,
    );
    expect(result.output).toMatch(/container log of kf-test-geomatics-cpu-\S+:\n.*\| fixture: NB_PREFIX ignored, serving \/ only/);
  });

  it('the image runs as root', () => {
    workspace.write('images/geomatics/Dockerfile', notebookFixtureDockerfile('geomatics', { finalUser: 'root' }));
    const result = nx(['run', 'geomatics:test-cpu']);
    expectCheckFailure(
      result,
      'geomatics',
      /✗ geomatics-notebook-cpu:content-\S+: runs as uid 1000, not root: runs as root \(uid 0\)\. Fix: end images\/geomatics\/Dockerfile with USER \$\{NB_UID\} \(jovyan, uid 1000\)/,
      2,
    );
    expect(result.output).toMatch(/✗ geomatics-notebook-cpu:content-\S+: the image config's User is a numeric uid, not 0 \(Kubernetes runAsNonRoot\): User is "root", a name/);
  });

  it('the image ends with a named user (Kubernetes runAsNonRoot would refuse the pod)', () => {
    workspace.write('images/geomatics/Dockerfile', notebookFixtureDockerfile('geomatics', { finalUser: 'jovyan' }));
    expectCheckFailure(
      nx(['run', 'geomatics:test-cpu']),
      'geomatics',
      /✗ geomatics-notebook-cpu:content-\S+: the image config's User is a numeric uid, not 0 \(Kubernetes runAsNonRoot\): User is "jovyan", a name Kubernetes cannot check against runAsNonRoot\. Fix: end images\/geomatics\/Dockerfile with USER \$\{NB_UID\} \(the number, uid 1000\), not a user name/,
    );
  });

  it('the home directory is not writable', () => {
    workspace.write('images/r-studio/Dockerfile', notebookFixtureDockerfile('r-studio', { rootRun: 'chown 0:0 /home/jovyan && chmod 755 /home/jovyan' }));
    expectCheckFailure(
      nx(['run', 'r-studio:test-cpu']),
      'r-studio',
      /✗ r-studio-cpu:content-\S+: the user can write to \$HOME: exited 1: touch: \/home\/jovyan\/\.kf-image-test-\d+: Permission denied\. Fix: end each RUN of images\/r-studio\/Dockerfile that writes under \/home\/\$NB_USER with fix-permissions/,
    );
  });

  it('the conda dir is not writable', () => {
    workspace.write('images/machine-learning/Dockerfile', notebookFixtureDockerfile('machine-learning', { rootRun: 'chown -R 0:0 /opt/conda' }));
    expectCheckFailure(
      nx(['run', 'machine-learning:test-cpu']),
      'machine-learning',
      /✗ machine-learning-notebook-cpu:content-\S+: the user can install into \$CONDA_DIR: exited 1: touch: \/opt\/conda\/\.kf-image-test-\d+: Permission denied\. Fix: end each RUN of images\/machine-learning\/Dockerfile that installs into \$CONDA_DIR with fix-permissions \$CONDA_DIR/,
    );
  });

  it("an ancestor's check fails in a child", () => {
    workspace.write('images/machine-learning/Dockerfile', notebookFixtureDockerfile('machine-learning', { rootRun: 'rm /opt/base-tool' }));
    expectCheckFailure(
      nx(['run', 'machine-learning:test-cpu']),
      'machine-learning',
      /✗ machine-learning-notebook-cpu:content-\S+: command "test -e \/opt\/base-tool" \[inherited from base, images\/base\/tests\/checks.json\]: exited 1: no output\. Fix: it is inherited from base: find what images\/machine-learning\/Dockerfile \(or an image between\) removed or broke/,
    );
  });

  it("an image's own command check fails", () => {
    writeChecks('r-studio', [...checksOf('r-studio'), 'kf-missing-tool --version']);
    workspace.write('images/r-studio/Dockerfile', notebookFixtureDockerfile('r-studio'));
    expectCheckFailure(
      nx(['run', 'r-studio:test-cpu']),
      'r-studio',
      /✗ r-studio-cpu:content-\S+: command "kf-missing-tool --version" \[images\/r-studio\/tests\/checks.json\]: exited 127: .*kf-missing-tool: not found\. Fix: fix images\/r-studio\/Dockerfile so that it succeeds, or change the check in images\/r-studio\/tests\/checks.json/,
    );
  });
});

/** Runs nx in its own process group, as a terminal's foreground job, collecting its output as it streams. */
function startNx(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(nxBinary(WORKSPACE_ROOT), [...args, '--output-style=stream'], {
    cwd: workspace.root,
    env: { ...process.env, ...machine.env, IMAGE_RUNTIME: 'docker', NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true', CI: 'true', FORCE_COLOR: '0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    /** Ctrl-C as a terminal sends it: to the whole process group. */
    interrupt: () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
    },
    async waitFor(text: string, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`never saw "${text}":\n${output.slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
}

async function waitUntilGone(label: string, timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = dockerContainers({ label });
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = dockerContainers({ label });
  }
  return left;
}

describe('interrupted with Ctrl-C', () => {
  it('a container test leaves no container behind', async () => {
    workspace.write(
      'images/geomatics/Dockerfile',
      notebookFixtureDockerfile('geomatics', { lines: ['CMD ["httpd", "-f", "-p", "8888", "-h", "/tmp"]'] }),
    );
    const run = startNx(['run', 'geomatics:test-cpu', '--startTimeout=120']);
    try {
      await run.waitFor('waiting up to 120s for http://127.0.0.1:');
      expect(dockerContainers({ label: `${ROLE}=test` })).toHaveLength(1);
    } finally {
      run.interrupt();
    }
    expect(await run.exited).not.toBe(0);
    expect(await waitUntilGone(`${ROLE}=test`)).toEqual([]);
  });

  it('serve-cpu says when its port is taken, then serves under NB_PREFIX, prints the URL, and stops and removes the container', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const clash = nx(['run', 'base:serve-cpu', `--port=${port}`]);
      expect(clash.status).not.toBe(0);
      expect(clash.output).toContain(`port ${port} on 127.0.0.1 is already in use (another notebook?): stop it, or pass --port=<free port> to serve-cpu`);
      expect(dockerContainers({ label: `${ROLE}=serve` })).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    const run = startNx(['run', 'base:serve-cpu', `--port=${port}`], { USER: 'jane' });
    try {
      const url = `http://127.0.0.1:${port}/notebook/jane/base/`;
      await run.waitFor(`ready: ${url} answers (HTTP 200)`);
      expect(run.output()).toContain(`open ${url}   (Ctrl-C stops and removes the container)`);
      expect((await fetch(url)).status).toBe(200);
      expect(dockerContainers({ label: `${ROLE}=serve` })).toHaveLength(1);
      // The container's log streams through.
      await run.waitFor('fixture: serving /notebook/jane/base/ on :8888');
    } finally {
      run.interrupt();
    }
    expect(await run.exited).toBe(130);
    expect(await waitUntilGone(`${ROLE}=serve`, 15_000)).toEqual([]);
  });
});
