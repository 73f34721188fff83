import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { imageExecutorContext } from '../testing/executor-context';

/** A child process that prints one line, then exits 0 once its stdin ends (what the nx-container child does for a build). */
function fakeChild() {
  const child = Object.assign(new EventEmitter(), { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });
  child.stdin.on('finish', () =>
    setImmediate(() => {
      child.stdout.write('STEP 1/1: FROM scratch\n');
      setImmediate(() => child.emit('close', 0, null));
    }),
  );
  return child;
}

/** The nx-container children (Node processes); anything else a build starts (its scratch folder's stop canary) is real. */
const spawn = jest.fn(() => fakeChild());
jest.mock('node:child_process', () => {
  const actual = jest.requireActual('node:child_process');
  return { ...actual, spawn: (command: string, ...args: unknown[]) => (command === process.execPath ? spawn() : actual.spawn(command, ...args)) };
});

// Loaded after the mock, with its module state (children loaded ahead) fresh per test.
const load = () => require('./engine-output') as typeof import('./engine-output');

describe('nx-container children loaded ahead in a batch', () => {
  beforeEach(() => {
    jest.resetModules();
    spawn.mockClear();
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  const context = imageExecutorContext('geomatics', 'build-cpu');

  it('starts none for builds whose tasks ended without the engine: one build after two found images takes one child', async () => {
    const engine = load();
    engine.expectEngineBuilds(3, 3);
    engine.endedWithoutEngineBuild();
    engine.endedWithoutEngineBuild();
    await engine.runNxContainerCapturingOutput({}, context);
    expect(spawn).toHaveBeenCalledTimes(1);
  });

  it('loads children for the builds that may still come, while the first one builds', async () => {
    const engine = load();
    engine.expectEngineBuilds(3, 3);
    await engine.runNxContainerCapturingOutput({}, context);
    // The first build's child, then one ahead for each of the two builds that may follow.
    expect(spawn).toHaveBeenCalledTimes(3);
  });
});
