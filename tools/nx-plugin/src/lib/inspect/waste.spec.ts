import type { LayerFile, LayerFiles } from './layer-files';
import { countWaste } from './waste';

const MB = 1024 * 1024;
const file = (path: string, size: number, extra: Partial<LayerFile> = {}): LayerFile => ({ path, kind: 'file', size, mode: 0o644, uid: 0, gid: 0, contentDigest: `digest-of-${path}`, ...extra });
const layer = (files: LayerFile[], deleted: string[] = [], opaqueDirectories: string[] = []): LayerFiles => ({ files, deleted, opaqueDirectories });
const INHERITED = layer([file('bin/busybox', 2 * MB)]);

describe('countWaste', () => {
  it('counts a file whose mode changed in a later layer as permissions waste of that layer', () => {
    const waste = countWaste([INHERITED, layer([file('data/big', 10 * MB)]), layer([file('data/big', 10 * MB, { mode: 0o600 })])], 1);
    expect(waste).toEqual([{ path: '/data/big', bytes: 10 * MB, layer: 2, earlierLayer: 1, kind: 'permissions' }]);
  });

  it('counts an owner change the same way, and nothing when the file is written once', () => {
    expect(countWaste([INHERITED, layer([file('a', 5)]), layer([file('a', 5, { uid: 1000 })])], 1)[0].kind).toBe('permissions');
    expect(countWaste([INHERITED, layer([file('data/big', 10 * MB, { mode: 0o600 })])], 1)).toEqual([]);
  });

  it('tells an unchanged re-copy from an overwrite, counting the hidden copy', () => {
    const waste = countWaste(
      [INHERITED, layer([file('etc/conf', 300), file('opt/tool', 700)]), layer([file('etc/conf', 300), file('opt/tool', 50, { contentDigest: 'new' })])],
      1,
    );
    expect(waste).toEqual([
      { path: '/etc/conf', bytes: 300, layer: 2, earlierLayer: 1, kind: 'unchanged-copy' },
      { path: '/opt/tool', bytes: 700, layer: 2, earlierLayer: 1, kind: 'overwritten' },
    ]);
  });

  it('counts a file deleted in a later layer, and every file under a deleted directory', () => {
    const waste = countWaste([INHERITED, layer([file('tmp/cache/a', 10), file('tmp/cache/b/c', 20), file('tmp/keep', 5)]), layer([], ['tmp/cache', 'never/there'])], 1);
    expect(waste.map(({ path, bytes, kind, layer: at }) => ({ path, bytes, kind, at }))).toEqual([
      { path: '/tmp/cache/a', bytes: 10, kind: 'deleted', at: 2 },
      { path: '/tmp/cache/b/c', bytes: 20, kind: 'deleted', at: 2 },
    ]);
  });

  it('counts what an opaque directory hides, and a path it writes again once, as a re-store', () => {
    const waste = countWaste([INHERITED, layer([file('home/a', 10), file('home/b', 20)]), layer([file('home/b', 20)], [], ['home'])], 1);
    expect(waste.map(({ path, kind }) => [path, kind]).sort()).toEqual([
      ['/home/a', 'deleted'],
      ['/home/b', 'unchanged-copy'],
    ]);
  });

  it('leaves the parent\'s own waste to the parent but counts own layers hiding inherited files', () => {
    const parentWaste = layer([file('bin/busybox', 2 * MB, { mode: 0o700 })]);
    expect(countWaste([INHERITED, parentWaste], 2)).toEqual([]);
    expect(countWaste([INHERITED, parentWaste, layer([], ['bin/busybox'])], 2)).toEqual([
      { path: '/bin/busybox', bytes: 2 * MB, layer: 2, earlierLayer: 1, kind: 'deleted' },
    ]);
  });

  it('ignores directories and empty files stored again', () => {
    const dir: LayerFile = { path: 'opt', kind: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0 };
    expect(countWaste([INHERITED, layer([dir, file('opt/empty', 0)]), layer([{ ...dir, uid: 1000 }, file('opt/empty', 0, { uid: 1000 })])], 1)).toEqual([]);
  });

  it('a file written again after being deleted is not counted twice', () => {
    const waste = countWaste([INHERITED, layer([file('x', 100)]), layer([], ['x']), layer([file('x', 100)])], 1);
    expect(waste).toEqual([{ path: '/x', bytes: 100, layer: 2, earlierLayer: 1, kind: 'deleted' }]);
  });
});
