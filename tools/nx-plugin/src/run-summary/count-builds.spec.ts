import { countBuilds, formatBuildCounts, type BuildTaskOutcome } from './count-builds';
import { failedRunExitCode } from './run-exit-code';
import { parseRunEvents, type RunEvent } from './run-events';

const outcome = (task: string, status: string, source: string | null = null): BuildTaskOutcome => ({ task, status, source });
const event = (task: string, kind: RunEvent['kind']): RunEvent => ({ at: 1, task, kind });

describe('countBuilds', () => {
  it('counts a cache replay as restored by Nx, whatever its replayed record says', () => {
    expect(countBuilds([outcome('a:build-cpu', 'local-cache', 'built'), outcome('b:build-cpu', 'remote-cache', 'built'), outcome('c:build-cpu', 'local-cache-kept-existing', 'local')])).toMatchObject({
      built: 0,
      nx: 3,
    });
  });

  it('counts tasks that ran by the source of the record they wrote', () => {
    const counts = countBuilds([
      outcome('a:build-cpu', 'success', 'built'),
      outcome('b:build-cpu', 'success', 'built'),
      outcome('c:build-cpu', 'success', 'registry'),
      outcome('d:build-cpu', 'success', 'local'),
      outcome('e:build-cpu', 'success', 'planned'),
    ]);
    expect(counts).toEqual({ built: 2, registry: 1, engine: 1, nx: 0, planned: 1, failed: 0, notRun: 0 });
  });

  it('counts one failure and the tasks not run after it apart, those Nx kept no result for from the batch', () => {
    // What Nx 23 hands the hook when base fails: base's failure only; the batch reported its four children as not run.
    const events = ['minimal', 'machine-learning', 'geomatics', 'r-studio'].map((project) => event(`${project}:build-cpu`, 'not-run'));
    expect(countBuilds([outcome('base:build-cpu', 'failure')], events)).toMatchObject({ failed: 1, notRun: 4, built: 0 });
    expect(countBuilds([outcome('a:build-cpu', 'skipped', 'built'), outcome('b:build-cpu', 'stopped')])).toMatchObject({ failed: 0, notRun: 2 });
  });

  it('counts a success without a record as failed', () => {
    expect(countBuilds([outcome('a:build-cpu', 'success')]).failed).toBe(1);
  });

  it('counts images rebuilt or pulled for a consumer by what happened to them, not as restored by Nx', () => {
    // A wiped engine storage behind a warm Nx cache: the leaf is built, its parent and grandparent rebuilt from their records.
    const outcomes = [outcome('base:build-cpu', 'local-cache', 'built'), outcome('minimal:build-cpu', 'local-cache', 'built'), outcome('leaf:build-cpu', 'success', 'built')];
    const events = [event('base:build-cpu', 'rebuilt'), event('minimal:build-cpu', 'rebuilt')];
    expect(countBuilds(outcomes, events)).toMatchObject({ built: 3, nx: 0 });
    expect(countBuilds(outcomes, [event('minimal:build-cpu', 'pulled')])).toMatchObject({ built: 1, registry: 1, nx: 1 });
  });

  it('counts an image brought back whose task is not in the run once', () => {
    expect(countBuilds([], [event('base:build-cpu', 'rebuilt'), event('base:build-cpu', 'rebuilt'), event('minimal:build-cpu', 'pulled')])).toMatchObject({ built: 1, registry: 1 });
  });
});

describe('formatBuildCounts', () => {
  it('always names the four ways an image came to be, and adds planned, failed and not run only when there are some', () => {
    const none = { built: 0, registry: 0, engine: 0, nx: 0, planned: 0, failed: 0, notRun: 0 };
    expect(formatBuildCounts({ ...none, built: 1, registry: 2, engine: 3, nx: 4 })).toBe('images: built 1, reused from the registry 2, from the engine 3, restored by Nx 4');
    expect(formatBuildCounts({ ...none, planned: 5 })).toBe('images: built 0, reused from the registry 0, from the engine 0, restored by Nx 0; planned 5');
    expect(formatBuildCounts({ ...none, failed: 1, notRun: 4 })).toBe('images: built 0, reused from the registry 0, from the engine 0, restored by Nx 0; failed 1, not run 4');
  });
});

describe('failedRunExitCode', () => {
  it('gives 1 to a run with a failed task, and leaves an interrupted or successful run to Nx', () => {
    expect(failedRunExitCode(['failure', 'success'])).toBe(1);
    expect(failedRunExitCode(['failure', 'stopped'])).toBeNull();
    expect(failedRunExitCode(['success', 'local-cache'])).toBeNull();
  });
});

describe('parseRunEvents', () => {
  it('reads the events and skips a torn last line', () => {
    expect(parseRunEvents('{"at":5,"task":"a:build-cpu","kind":"rebuilt"}\n{"at":6,"task":"b:bu')).toEqual([{ at: 5, task: 'a:build-cpu', kind: 'rebuilt' }]);
  });
});
