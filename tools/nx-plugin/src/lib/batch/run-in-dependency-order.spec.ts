import { runInDependencyOrder, type BatchGraph, type TaskOutcome } from './run-in-dependency-order';

/** base <- minimal <- (ml, geo); other is independent. */
const hierarchy: BatchGraph = {
  tasks: ['base', 'minimal', 'ml', 'geo', 'other'],
  dependencies: { base: [], minimal: ['base'], ml: ['minimal'], geo: ['minimal'], other: [] },
};

/** Runs the batch with tasks that end after a tick; records starts, ends and the most running at once. */
async function runBatch(graph: BatchGraph, failing: string[] = [], concurrency = 3) {
  const events: string[] = [];
  let running = 0;
  let mostRunning = 0;
  const outcomes: TaskOutcome<boolean>[] = [];
  const run = async (task: string) => {
    events.push(`start ${task}`);
    mostRunning = Math.max(mostRunning, ++running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    events.push(`end ${task}`);
    return !failing.includes(task);
  };
  for await (const outcome of runInDependencyOrder(graph, run, (ok) => ok, concurrency)) outcomes.push(outcome);
  return { events, outcomes, mostRunning };
}

describe('runInDependencyOrder', () => {
  it('starts a task only after all its dependencies ended', async () => {
    const { events } = await runBatch(hierarchy);
    for (const [task, dependency] of [['minimal', 'base'], ['ml', 'minimal'], ['geo', 'minimal']]) {
      expect(events.indexOf(`start ${task}`)).toBeGreaterThan(events.indexOf(`end ${dependency}`));
    }
    expect(events.filter((event) => event.startsWith('start')).sort()).toEqual(hierarchy.tasks.map((task) => `start ${task}`).sort());
  });

  it('runs independent tasks at once, never more than the concurrency', async () => {
    const wide: BatchGraph = { tasks: ['a', 'b', 'c', 'd', 'e'], dependencies: {} };
    expect((await runBatch(wide, [], 2)).mostRunning).toBe(2);
    expect((await runBatch(wide, [], 1)).mostRunning).toBe(1);
    expect((await runBatch(hierarchy, [], 3)).mostRunning).toBe(2);
  });

  it('does not run what is below a failure, naming the failed task, and still runs the rest', async () => {
    const { events, outcomes } = await runBatch(hierarchy, ['minimal']);
    expect(events).not.toContain('start ml');
    expect(events).not.toContain('start geo');
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { task: 'minimal', ran: true, result: false },
        { task: 'ml', ran: false, dependency: 'minimal', failed: 'minimal' },
        { task: 'geo', ran: false, dependency: 'minimal', failed: 'minimal' },
        { task: 'other', ran: true, result: true },
      ]),
    );
    expect(outcomes).toHaveLength(hierarchy.tasks.length);
  });

  it('names the failed task, not the skipped one between, several levels down', async () => {
    const { outcomes } = await runBatch(hierarchy, ['base']);
    expect(outcomes.filter((outcome) => !outcome.ran)).toEqual([
      { task: 'minimal', ran: false, dependency: 'base', failed: 'base' },
      { task: 'ml', ran: false, dependency: 'minimal', failed: 'base' },
      { task: 'geo', ran: false, dependency: 'minimal', failed: 'base' },
    ]);
  });

  it('treats dependencies outside the batch as done (Nx restored or ran them before)', async () => {
    const { outcomes } = await runBatch({ tasks: ['ml'], dependencies: { ml: ['minimal'] } });
    expect(outcomes).toEqual([{ task: 'ml', ran: true, result: true }]);
  });

  it('refuses tasks that wait on each other instead of hanging', async () => {
    await expect(runBatch({ tasks: ['a', 'b'], dependencies: { a: ['b'], b: ['a'] } })).rejects.toThrow('tasks wait on each other and cannot start: a, b');
  });
});
