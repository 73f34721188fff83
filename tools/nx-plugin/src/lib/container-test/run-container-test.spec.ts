import { BuildConfigurationError } from '../errors';
import { fakeCli, type FakeAnswer } from '../engine/fake-cli.test-helper';
import type { WaitOutcome } from '../image-runtime/http-wait';
import { runContainerTest, type ContainerTestPlan } from './run-container-test';

const PLAN: ContainerTestPlan = {
  project: 'minimal',
  stream: 'cpu',
  task: 'minimal:test-cpu',
  dockerfile: 'images/minimal/Dockerfile',
  image: 'minimal-notebook-cpu:content-1',
  containerName: 'kf-test-minimal-cpu-1',
  nbPrefix: '/notebook/kf-test/minimal-cpu/',
  host: '127.0.0.1',
  uid: 1000,
  startTimeoutMs: 5_000,
  checkTimeoutMs: 10_000,
  checks: [
    { kind: 'command', subject: 'test -e /opt/base-tool', declaredBy: 'base', file: 'images/base/tests/checks.json' },
    { kind: 'command', subject: 'kubectl version --client', declaredBy: 'minimal', file: 'images/minimal/tests/checks.json' },
  ],
};

const HEALTHY: Record<string, FakeAnswer> = {
  'image inspect --format {{.Config.User}} minimal-notebook-cpu:content-1': { stdout: '1000\n' },
  run: { stdout: 'c0ffee\n' },
  port: { stdout: '127.0.0.1:49160\n' },
  inspect: { stdout: 'true 0\n' },
  'exec kf-test-minimal-cpu-1 id -u': { stdout: '1000\n' },
  logs: { stdout: 'serving /notebook/kf-test/minimal-cpu/ on :8888\n' },
};

const UP = async (): Promise<WaitOutcome> => ({ ok: true, status: 200, elapsedMs: 1200 });

function harness(answers: Record<string, FakeAnswer> = {}, wait: () => Promise<WaitOutcome> = UP) {
  const runtime = fakeCli('docker', { ...HEALTHY, ...answers });
  const info: string[] = [];
  const error: string[] = [];
  const guarded: string[] = [];
  const urls: string[] = [];
  const io = {
    runtime,
    info: (l: string) => info.push(l),
    error: (l: string) => error.push(l),
    guard: (name: string) => {
      guarded.push(`guard ${name}`);
      return () => guarded.push(`unguard ${name}`);
    },
    waitForHttp: async (url: string) => {
      urls.push(url);
      return wait();
    },
  };
  return { runtime, io, info, error, guarded, urls, commands: () => runtime.calls.map((c) => c.join(' ')) };
}

describe('runContainerTest', () => {
  it('starts the image as a user would, runs every check in order, and removes the container', async () => {
    const h = harness();
    const outcome = await runContainerTest(PLAN, h.io);
    expect(outcome.success).toBe(true);
    expect(outcome.url).toBe('http://127.0.0.1:49160/notebook/kf-test/minimal-cpu/');
    expect(h.urls).toEqual([outcome.url]);
    expect(outcome.results.map((r) => r.id)).toEqual([
      'image-user',
      'server',
      'user',
      'home-writable',
      'conda-writable',
      'command:test -e /opt/base-tool',
      'command:kubectl version --client',
    ]);
    const commands = h.commands();
    expect(commands[0]).toBe('image inspect --format {{.Config.User}} minimal-notebook-cpu:content-1');
    expect(commands[1]).toMatch(/^run --detach --name kf-test-minimal-cpu-1 .* --publish 127\.0\.0\.1::8888 --env NB_PREFIX=\/notebook\/kf-test\/minimal-cpu\/ minimal-notebook-cpu:content-1$/);
    expect(commands.at(-1)).toBe('rm --force --volumes kf-test-minimal-cpu-1');
    expect(h.guarded).toEqual(['guard kf-test-minimal-cpu-1', 'unguard kf-test-minimal-cpu-1']);
    expect(h.error).toEqual([]);
    expect(h.info.filter((l) => l.startsWith('✓'))).toHaveLength(7);
  });

  it('prints one line per failing check and keeps checking the rest', async () => {
    const h = harness({
      'exec kf-test-minimal-cpu-1 id -u': { stdout: '0\n' },
      'exec kf-test-minimal-cpu-1 sh -c if command -v bash': (args) =>
        args.at(-1) === 'test -e /opt/base-tool' ? { code: 1 } : { code: 0 },
    });
    const outcome = await runContainerTest(PLAN, h.io);
    expect(outcome.success).toBe(false);
    expect(h.error).toEqual([
      '✗ minimal-notebook-cpu:content-1: runs as uid 1000, not root: runs as root (uid 0). Fix: end images/minimal/Dockerfile with USER ${NB_UID} (jovyan, uid 1000)',
      expect.stringMatching(
        /^✗ minimal-notebook-cpu:content-1: command "test -e \/opt\/base-tool" \[inherited from base, images\/base\/tests\/checks.json\]: exited 1: no output\. Fix: it is inherited from base/,
      ),
    ]);
    expect(outcome.results.filter((r) => r.ok).map((r) => r.id)).toEqual(['image-user', 'server', 'home-writable', 'conda-writable', 'command:kubectl version --client']);
    expect(h.commands().at(-1)).toBe('rm --force --volumes kf-test-minimal-cpu-1');
  });

  it('shows the container log when the server does not answer under NB_PREFIX', async () => {
    const h = harness({}, async () => ({ ok: false, reason: 'timeout', last: { status: 404 }, elapsedMs: 5000 }));
    const outcome = await runContainerTest(PLAN, h.io);
    expect(outcome.success).toBe(false);
    expect(h.error[0]).toBe(
      "✗ minimal-notebook-cpu:content-1: the server answers under NB_PREFIX /notebook/kf-test/minimal-cpu/: no 2xx/3xx answer under /notebook/kf-test/minimal-cpu/ within 5s (last answer HTTP 404). Fix: the image's start command must serve the notebook on port 8888 under $NB_PREFIX (Kubeflow's base_url); see the container log below, or raise startTimeout if it is only slow",
    );
    expect(h.error.slice(1)).toEqual(['  container log of kf-test-minimal-cpu-1:', '  | serving /notebook/kf-test/minimal-cpu/ on :8888']);
    expect(outcome.results.map((r) => r.ok)).toEqual([true, false, true, true, true, true, true]);
  });

  it('does not run checks in a container that exited, and says so once', async () => {
    const h = harness({ inspect: { stdout: 'false 2\n' }, logs: { stderr: 'start.sh: exec: jupyter: not found\n' } }, async () => ({
      ok: false,
      reason: 'exited',
      exitCode: 2,
      last: { status: null, error: 'ECONNREFUSED' },
      elapsedMs: 300,
    }));
    const outcome = await runContainerTest(PLAN, h.io);
    expect(h.error[0]).toMatch(/the container exited \(code 2\) before the server answered under \/notebook\/kf-test\/minimal-cpu\//);
    expect(h.error).toContain('  | start.sh: exec: jupyter: not found');
    expect(h.error.at(-1)).toMatch(/5 checks inside the container: not run: the container is not running/);
    expect(h.commands().filter((c) => c.startsWith('exec'))).toEqual([]);
    expect(outcome.success).toBe(false);
  });

  it("fails a named or root User in the image config, and still runs the other checks", async () => {
    const h = harness({ 'image inspect --format {{.Config.User}} minimal-notebook-cpu:content-1': { stdout: 'jovyan\n' } });
    const outcome = await runContainerTest(PLAN, h.io);
    expect(outcome.success).toBe(false);
    expect(h.error).toEqual([
      `✗ minimal-notebook-cpu:content-1: the image config's User is a numeric uid, not 0 (Kubernetes runAsNonRoot): User is "jovyan", a name Kubernetes cannot check against runAsNonRoot. Fix: end images/minimal/Dockerfile with USER \${NB_UID} (the number, uid 1000), not a user name`,
    ]);
    expect(outcome.results.filter((r) => !r.ok).map((r) => r.id)).toEqual(['image-user']);
  });

  it('removes the container when it cannot start, and explains', async () => {
    const h = harness({ run: { code: 125, stderr: 'docker: Error response from daemon: pull access denied for minimal-notebook-cpu\n' } });
    const error = await runContainerTest(PLAN, h.io).catch((e) => e);
    expect(error).toBeInstanceOf(BuildConfigurationError);
    expect(error.message).toBe(
      'cannot start minimal-notebook-cpu:content-1 with docker (docker: Error response from daemon: pull access denied for minimal-notebook-cpu): rebuild it (nx run minimal:build-cpu --skip-nx-cache) or log in to its registry',
    );
    expect(h.commands().at(-1)).toBe('rm --force --volumes kf-test-minimal-cpu-1');
    expect(h.guarded.at(-1)).toBe('unguard kf-test-minimal-cpu-1');
  });

  it('fails, naming the command, when the container cannot be removed', async () => {
    const h = harness({ rm: { code: 1, stderr: 'Error: device or resource busy' } });
    const outcome = await runContainerTest(PLAN, h.io);
    expect(outcome.success).toBe(false);
    expect(h.error).toEqual([
      'could not remove container kf-test-minimal-cpu-1 (Error: device or resource busy): remove it with docker rm -f kf-test-minimal-cpu-1',
    ]);
  });

  it('reports a check that hangs as timed out', async () => {
    const h = harness({ 'exec kf-test-minimal-cpu-1 sh -c test -n "$HOME"': { code: null, timedOut: true } });
    await runContainerTest(PLAN, h.io);
    expect(h.error).toEqual([expect.stringContaining('the user can write to $HOME: timed out after 10s')]);
  });
});
