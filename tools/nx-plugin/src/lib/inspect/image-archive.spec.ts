import { readImageArchive } from './image-archive';
import { streamOf, tarOf } from './test-archives.test-helper';

const sha = (c: string) => c.repeat(64);

describe('readImageArchive', () => {
  it('orders layers as manifest.json (written last) says, following podman\'s layer.tar links', async () => {
    const bottom = await tarOf([{ name: 'a', content: 'aaaa' }]);
    const top = await tarOf([{ name: 'a', content: 'aaaa', mode: 0o600 }]);
    const config = { rootfs: { diff_ids: [`sha256:${sha('1')}`, `sha256:${sha('2')}`] }, history: [{ created_by: 'x' }, { created_by: 'y' }] };
    const archive = await readImageArchive(
      await streamOf([
        { name: `${sha('2')}.tar`, content: top },
        { name: `${sha('1')}.tar`, content: bottom },
        { name: `${sha('c')}.json`, content: JSON.stringify(config) },
        { name: 'v1a/layer.tar', type: 'symlink', linkname: `../${sha('1')}.tar` },
        { name: 'manifest.json', content: JSON.stringify([{ Config: `${sha('c')}.json`, Layers: ['v1a/layer.tar', `${sha('2')}.tar`] }]) },
      ]),
    );
    expect(archive.imageId).toBe(`sha256:${sha('c')}`);
    expect(archive.config.history).toHaveLength(2);
    expect(archive.layers.map((layer) => [layer.diffId, layer.sizeBytes, layer.files.files[0].mode])).toEqual([
      [`sha256:${sha('1')}`, bottom.length, 0o644],
      [`sha256:${sha('2')}`, top.length, 0o600],
    ]);
  });

  it('says what is missing from an archive that is not a docker-archive', async () => {
    await expect(readImageArchive(await streamOf([{ name: 'x.txt', content: 'x' }]))).rejects.toThrow('no manifest.json');
    await expect(
      readImageArchive(await streamOf([{ name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: [] }]) }])),
    ).rejects.toThrow('lacks its config c.json');
  });
});
