import { Readable } from 'node:stream';
import { normalizePath, readLayerFiles } from './layer-files';
import { streamOf } from './test-archives.test-helper';

describe('readLayerFiles', () => {
  it('keeps headers and a content digest per file, and sorts out whiteouts and opaque directories', async () => {
    const layer = await readLayerFiles(
      await streamOf([
        { name: 'opt/', type: 'directory', mode: 0o755 },
        { name: 'opt/big', content: 'x'.repeat(1000), mode: 0o600, uid: 1000, gid: 100 },
        { name: 'opt/same', content: 'x'.repeat(1000) },
        { name: 'opt/.wh.old' },
        { name: '.wh.gone' },
        { name: 'home/jovyan/.wh..wh..opq' },
        { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      ]),
    );
    expect(layer.deleted).toEqual(['opt/old', 'gone']);
    expect(layer.opaqueDirectories).toEqual(['home/jovyan']);
    expect(layer.files.map(({ path, kind, size, mode, uid, gid }) => ({ path, kind, size, mode, uid, gid }))).toEqual([
      { path: 'opt', kind: 'directory', size: 0, mode: 0o755, uid: 0, gid: 0 },
      { path: 'opt/big', kind: 'file', size: 1000, mode: 0o600, uid: 1000, gid: 100 },
      { path: 'opt/same', kind: 'file', size: 1000, mode: 0o644, uid: 0, gid: 0 },
      { path: 'bin/sh', kind: 'symlink', size: 0, mode: 0o644, uid: 0, gid: 0 },
    ]);
    expect(layer.files[1].contentDigest).toBe(layer.files[2].contentDigest);
    expect(layer.files[0].contentDigest).toBeUndefined();
  });

  it('fails on a stream that is not a tar', async () => {
    await expect(readLayerFiles(Readable.from([Buffer.from('not a tar archive at all'.repeat(40))]))).rejects.toThrow();
  });
});

describe('normalizePath', () => {
  it('drops ./, leading and trailing slashes', () => {
    expect(normalizePath('./opt/conda/')).toBe('opt/conda');
    expect(normalizePath('/etc/passwd')).toBe('etc/passwd');
    expect(normalizePath('./')).toBe('');
  });
});
