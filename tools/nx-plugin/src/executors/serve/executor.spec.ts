import type { Cli, CliResult, EngineName } from '../../lib/engine/engine-cli';
import { captureLogger, imageExecutorContext } from '../../lib/testing/executor-context';
import { placeImage } from '../../lib/image-runtime/image-placement';
import serveExecutor from './executor';
import type { ServeExecutorOptions } from './schema';

// The runtime is a stub CLI that records its calls: this spec covers how serve
// starts and fails; tools/e2e/container-tests.spec.ts serves a real notebook.
const calls: string[][] = [];
let answers: (args: string[]) => CliResult;
jest.mock('../../lib/engine/engine-cli', () => ({
  ...jest.requireActual('../../lib/engine/engine-cli'),
  realCli: (name: EngineName): Cli => ({
    name,
    run: async (args) => {
      calls.push(args);
      return answers(args);
    },
  }),
}));
jest.mock('../../lib/engine/container-guard', () => ({ guardContainer: () => () => undefined }));
jest.mock('../../lib/image-runtime/built-image', () => ({
  builtImage: () => ({ image: 'localhost:5000/demo-notebook-cpu:content-1', node: { root: 'images/demo' } }),
}));
// Restoring an image from its record is image-placement's business, which is stubbed too.
jest.mock('../../lib/image-availability/for-consumer', () => ({ restoreRecordedImage: () => undefined }));
jest.mock('../../lib/settings/build-settings', () => ({ ...jest.requireActual('../../lib/settings/build-settings'), loadBuildSettings: () => ({ values: {} }) }));
jest.mock('../../lib/image-runtime/image-placement', () => ({
  ...jest.requireActual('../../lib/image-runtime/image-placement'),
  placeImage: jest.fn(async () => undefined),
}));

/** The options as Nx passes them: schema.json's defaults applied. */
const DEFAULTS: ServeExecutorOptions = { stream: 'cpu', runtime: 'docker', port: 8888, host: '127.0.0.1', startTimeout: 120 };
const ok: CliResult = { code: 0, stdout: '', stderr: '', timedOut: false };

const context = () => imageExecutorContext('demo', 'serve-cpu');

describe('serve executor', () => {
  let log: ReturnType<typeof captureLogger>;
  const logged = () => log.errors().join('\n');

  beforeEach(() => {
    log = captureLogger();
    calls.length = 0;
    answers = () => ok;
    jest.mocked(placeImage).mockClear();
  });
  afterEach(() => jest.restoreAllMocks());

  it('names the busy port and the option to change, and removes the container it could not start', async () => {
    answers = (args) => (args[0] === 'run' ? { code: 125, stdout: '', stderr: 'Error: listen tcp 127.0.0.1:8888: bind: address already in use\n', timedOut: false } : ok);
    await expect(serveExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
    expect(logged()).toBe('demo:serve-cpu: port 8888 on 127.0.0.1 is already in use (another notebook?): stop it, or pass --port=<free port> to serve-cpu');
    const run = calls.find((args) => args[0] === 'run')!;
    expect(run).toEqual(expect.arrayContaining(['127.0.0.1:8888:8888', 'localhost:5000/demo-notebook-cpu:content-1']));
    expect(calls.at(-1)?.slice(0, 2)).toEqual(['rm', '--force']);
  });

  it('refuses a port outside 1-65535 before touching the runtime', async () => {
    await expect(serveExecutor({ ...DEFAULTS, port: 0 }, context())).resolves.toEqual({ success: false });
    expect(logged()).toBe('demo:serve-cpu: port 0 is not a TCP port: pass --port=<1-65535>');
    expect(calls).toEqual([]);
  });

  it('says how to start the runtime when it is not reachable, and places no image', async () => {
    answers = () => ({ code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon\n', timedOut: false });
    await expect(serveExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
    expect(logged()).toContain('the docker daemon is not reachable (Cannot connect to the Docker daemon)');
    expect(placeImage).not.toHaveBeenCalled();
  });
});
