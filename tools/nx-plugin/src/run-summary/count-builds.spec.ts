import { countBuilds, formatBuildCounts } from './count-builds';

describe('countBuilds', () => {
  it('counts a cache replay as restored by Nx, whatever its replayed record says', () => {
    expect(countBuilds([{ status: 'local-cache', source: 'built' }, { status: 'remote-cache', source: 'built' }, { status: 'local-cache-kept-existing', source: 'local' }])).toMatchObject({
      built: 0,
      nx: 3,
    });
  });

  it('counts tasks that ran by the source of the record they wrote', () => {
    const counts = countBuilds([
      { status: 'success', source: 'built' },
      { status: 'success', source: 'built' },
      { status: 'success', source: 'registry' },
      { status: 'success', source: 'local' },
      { status: 'success', source: 'planned' },
    ]);
    expect(counts).toEqual({ built: 2, registry: 1, engine: 1, nx: 0, planned: 1, failed: 0 });
  });

  it('counts failed and skipped tasks, and a success without a record, as failed or not run', () => {
    expect(countBuilds([{ status: 'failure', source: null }, { status: 'skipped', source: 'built' }, { status: 'success', source: null }]).failed).toBe(3);
  });
});

describe('formatBuildCounts', () => {
  it('always names the four ways an image came to be, and adds planned and failed only when there are some', () => {
    expect(formatBuildCounts({ built: 1, registry: 2, engine: 3, nx: 4, planned: 0, failed: 0 })).toBe(
      'images: built 1, reused from the registry 2, from the engine 3, restored by Nx 4',
    );
    expect(formatBuildCounts({ built: 0, registry: 0, engine: 0, nx: 0, planned: 5, failed: 1 })).toBe(
      'images: built 0, reused from the registry 0, from the engine 0, restored by Nx 0; planned 5, failed or not run 1',
    );
  });
});
