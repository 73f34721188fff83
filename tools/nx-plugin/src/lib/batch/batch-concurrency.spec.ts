import { checkParallelism, batchConcurrency } from './batch-concurrency';
import { configurationErrorOf } from '../testing/configuration-error';

describe('batchConcurrency', () => {
  const nx = (...args: string[]) => ['/usr/bin/node', '/w/node_modules/.bin/nx', 'run-many', '-t', 'build-cpu', ...args];

  it("follows the Nx command's --parallel in every spelling", () => {
    expect(batchConcurrency(nx('--parallel=1'), {}, undefined)).toBe(1);
    expect(batchConcurrency(nx('--parallel', '2'), {}, undefined)).toBe(2);
    expect(batchConcurrency(nx('--parallel=false'), {}, 5)).toBe(1);
    expect(batchConcurrency(nx('--parallel', '--maxParallel=4'), {}, undefined)).toBe(4);
    expect(batchConcurrency(nx('--parallel'), {}, undefined)).toBe(3);
  });

  it('falls back to NX_PARALLEL, then nx.json parallel, then 3', () => {
    expect(batchConcurrency(nx(), { NX_PARALLEL: '5' }, 2)).toBe(5);
    expect(batchConcurrency(nx(), {}, 2)).toBe(2);
    expect(batchConcurrency(nx('--parallel=x'), { NX_PARALLEL: 'y' }, undefined)).toBe(3);
  });

  it('ignores what follows -- (arguments for the executor)', () => {
    expect(batchConcurrency(nx('--', '--parallel=9'), {}, undefined)).toBe(3);
  });
});

describe('checkParallelism', () => {
  const nx = (...args: string[]) => ['/usr/bin/node', '/work/node_modules/.bin/nx', 'run-many', '-t', 'build-cpu', ...args];

  it('accepts what Nx runs tasks with', () => {
    for (const args of [nx(), nx('--parallel=2'), nx('--parallel'), nx('--parallel=false'), nx('--parallel', '--maxParallel=4')]) {
      expect(() => checkParallelism(args, { NX_PARALLEL: '3' })).not.toThrow();
    }
  });

  it.each([
    [nx('--parallel=0'), {}, '--parallel=0 is not a number of tasks to run at once (Nx would run none): use a whole number of 1 or more, or leave it out'],
    [nx('--parallel', 'abc'), {}, '--parallel=abc is not a number of tasks to run at once (Nx would run none): use a whole number of 1 or more, or leave it out'],
    [nx(), { NX_PARALLEL: 'abc' }, 'environment variable NX_PARALLEL="abc" is not a number of tasks to run at once: use a whole number of 1 or more, or unset it'],
    [nx(), { NX_PARALLEL: '0' }, 'environment variable NX_PARALLEL="0" is not a number of tasks to run at once: use a whole number of 1 or more, or unset it'],
  ])('refuses %j %j in one line', (args, env, message) => {
    expect(configurationErrorOf(() => checkParallelism(args, env)).message).toBe(message);
  });
});
