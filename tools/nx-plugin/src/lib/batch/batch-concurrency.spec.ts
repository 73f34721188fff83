import { batchConcurrency } from './batch-concurrency';

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
