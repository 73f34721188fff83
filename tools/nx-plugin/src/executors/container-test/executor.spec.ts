import type { Cli, CliResult, EngineName } from '../../lib/engine/engine-cli';
import { captureLogger, imageExecutorContext } from '../../lib/testing/executor-context';
import { placeImage } from '../../lib/image-runtime/image-placement';
import { runContainerTest } from '../../lib/container-test/run-container-test';
import containerTestExecutor from './executor';
import type { ContainerTestExecutorOptions } from './schema';

// The runtime is a stub CLI and the container test itself is replaced: this spec
// is about what the executor hands on (schema options, converted) and how it fails.
const probe = jest.fn<Promise<CliResult>, [string[]]>();
jest.mock('../../lib/engine/engine-cli', () => ({
  ...jest.requireActual('../../lib/engine/engine-cli'),
  realCli: (name: EngineName): Cli => ({ name, run: (args) => probe(args) }),
}));
jest.mock('../../lib/engine/container-guard', () => ({ guardContainer: () => () => undefined }));
jest.mock('../../lib/image-runtime/built-image', () => ({
  builtImage: () => ({ image: 'localhost:5000/demo-notebook-cpu:content-1', node: { root: 'images/demo' }, dockerfile: 'images/demo/Dockerfile' }),
}));
jest.mock('../../lib/settings/build-settings', () => ({ ...jest.requireActual('../../lib/settings/build-settings'), loadBuildSettings: () => ({ values: {} }) }));
jest.mock('../../lib/container-test/inherited-checks', () => ({
  checkSources: () => [{ project: 'demo', checks: [] }],
  inheritChecks: () => [],
}));
// Restoring an image from its record is image-placement's business, which is stubbed too.
jest.mock('../../lib/image-availability/for-consumer', () => ({ restoreRecordedImage: () => undefined }));
jest.mock('../../lib/image-runtime/image-placement', () => ({
  ...jest.requireActual('../../lib/image-runtime/image-placement'),
  placeImage: jest.fn(async () => undefined),
}));
jest.mock('../../lib/container-test/run-container-test', () => ({ runContainerTest: jest.fn(async () => ({ success: true, results: [] })) }));

/** The options as Nx passes them: schema.json's defaults applied. */
const DEFAULTS: ContainerTestExecutorOptions = { stream: 'cpu', runtime: 'docker', host: '127.0.0.1', uid: 1000, startTimeout: 120, checkTimeout: 300 };

const context = (graph = true) => imageExecutorContext('demo', 'test-cpu', { projectGraph: graph });

describe('container-test executor', () => {
  let log: ReturnType<typeof captureLogger>;
  const logged = () => log.errors().join('\n');

  beforeEach(() => {
    log = captureLogger();
    probe.mockReset().mockResolvedValue({ code: 0, stdout: '27.0.0\n', stderr: '', timedOut: false });
    jest.mocked(runContainerTest).mockClear();
    jest.mocked(placeImage).mockClear();
  });
  afterEach(() => jest.restoreAllMocks());

  it('hands the schema options to the container test, timeouts in milliseconds, prefix per project and stream', async () => {
    await expect(containerTestExecutor(DEFAULTS, context())).resolves.toEqual({ success: true });
    expect(runContainerTest).toHaveBeenCalledTimes(1);
    expect(jest.mocked(runContainerTest).mock.calls[0][0]).toMatchObject({
      project: 'demo',
      stream: 'cpu',
      task: 'demo:test-cpu',
      dockerfile: 'images/demo/Dockerfile',
      image: 'localhost:5000/demo-notebook-cpu:content-1',
      nbPrefix: '/notebook/kf-test/demo-cpu/',
      host: '127.0.0.1',
      uid: 1000,
      startTimeoutMs: 120_000,
      checkTimeoutMs: 300_000,
    });
    expect(logged()).toBe('');
  });

  it('fails on the test outcome', async () => {
    jest.mocked(runContainerTest).mockResolvedValueOnce({ success: false, results: [] });
    await expect(containerTestExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
  });

  it('refuses a non-positive timeout in one line, before any container starts', async () => {
    await expect(containerTestExecutor({ ...DEFAULTS, checkTimeout: 0 }, context())).resolves.toEqual({ success: false });
    expect(logged()).toBe('demo:test-cpu: checkTimeout must be a positive number of seconds, not 0');
    expect(runContainerTest).not.toHaveBeenCalled();
  });

  it('says how to start the runtime when it is not reachable, and places no image', async () => {
    probe.mockResolvedValue({ code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon\n', timedOut: false });
    await expect(containerTestExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
    expect(logged()).toBe(
      'demo:test-cpu: the docker daemon is not reachable (Cannot connect to the Docker daemon): start dockerd (or Docker Desktop), or set IMAGE_RUNTIME=podman',
    );
    expect(placeImage).not.toHaveBeenCalled();
  });

  it('needs the project graph', async () => {
    await expect(containerTestExecutor(DEFAULTS, context(false))).resolves.toEqual({ success: false });
    expect(logged()).toContain('the container-test executor needs a project and the project graph');
  });
});
