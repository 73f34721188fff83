import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
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

  it('says what is missing from an archive that is no saved image', async () => {
    await expect(readImageArchive(await streamOf([{ name: 'x.txt', content: 'x' }]))).rejects.toThrow(
      'the image archive has neither manifest.json (docker-archive) nor index.json (OCI layout): not a saved image',
    );
    await expect(
      readImageArchive(await streamOf([{ name: 'manifest.json', content: JSON.stringify([{ Config: 'c.json', Layers: [] }]) }])),
    ).rejects.toThrow('lacks its config c.json');
  });

  describe('the OCI layout (docker 25 and later, podman save --format oci-archive)', () => {
    const digest = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const blob = (bytes: Buffer | string) => `blobs/sha256/${digest(bytes).slice('sha256:'.length)}`;

    /** Two layers, the second re-writing the first's file with other permissions: what the waste count looks at. */
    async function layers() {
      return [await tarOf([{ name: 'opt/a', content: 'aaaa' }, { name: 'etc/', type: 'directory' }]), await tarOf([{ name: 'opt/a', content: 'aaaa', mode: 0o600 }])];
    }
    function configOf(tars: Buffer[]) {
      return JSON.stringify({ rootfs: { type: 'layers', diff_ids: tars.map(digest) }, history: [{ created_by: 'COPY a' }, { created_by: 'RUN chmod' }] });
    }
    async function dockerArchive() {
      const tars = await layers();
      const config = configOf(tars);
      const configName = `${digest(config).slice('sha256:'.length)}.json`;
      return readImageArchive(
        await streamOf([
          ...tars.map((tar) => ({ name: `${digest(tar).slice('sha256:'.length)}.tar`, content: tar })),
          { name: configName, content: config },
          { name: 'manifest.json', content: JSON.stringify([{ Config: configName, Layers: tars.map((tar) => `${digest(tar).slice('sha256:'.length)}.tar`) }]) },
        ]),
      );
    }

    it('reads gzip layers through index.json (podman), with the sizes and files of the uncompressed tars, as a docker-archive', async () => {
      const tars = await layers();
      const config = configOf(tars);
      const compressed = tars.map((tar) => gzipSync(tar));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(config), size: config.length },
        layers: compressed.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(layer), size: layer.length })),
      });
      const index = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(manifest), size: manifest.length }] });
      const oci = await readImageArchive(
        await streamOf([
          { name: 'blobs/', type: 'directory' },
          { name: blob(config), content: config },
          { name: blob(manifest), content: manifest },
          // Blob order is the writer's: a layer may come after the manifest or before it.
          { name: blob(compressed[1]), content: compressed[1] },
          { name: blob(compressed[0]), content: compressed[0] },
          { name: 'index.json', content: index },
          { name: 'oci-layout', content: '{"imageLayoutVersion": "1.0.0"}' },
        ]),
      );
      expect(oci.imageId).toBe(digest(config));
      expect(oci.layers.map((layer) => [layer.diffId, layer.sizeBytes])).toEqual(tars.map((tar) => [digest(tar), tar.length]));
      const docker = await dockerArchive();
      expect(oci.layers).toEqual(docker.layers);
      expect(oci.config).toEqual(docker.config);
    });

    it('reads uncompressed blobs through the manifest.json docker 25 writes beside its index, following a nested index', async () => {
      const tars = await layers();
      const config = configOf(tars);
      const docker25 = await readImageArchive(
        await streamOf([
          ...tars.map((tar) => ({ name: blob(tar), content: tar })),
          { name: blob(config), content: config },
          { name: 'index.json', content: '{"schemaVersion": 2, "manifests": []}' },
          { name: 'manifest.json', content: JSON.stringify([{ Config: blob(config), Layers: tars.map(blob) }]) },
        ]),
      );
      expect(docker25.imageId).toBe(digest(config));
      expect(docker25.layers).toEqual((await dockerArchive()).layers);

      const manifest = JSON.stringify({ config: { digest: digest(config) }, layers: tars.map((tar) => ({ digest: digest(tar) })) });
      const inner = JSON.stringify({ mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: digest(manifest) }] });
      const nested = await readImageArchive(
        await streamOf([
          ...tars.map((tar) => ({ name: blob(tar), content: tar })),
          { name: blob(config), content: config },
          { name: blob(manifest), content: manifest },
          { name: blob(inner), content: inner },
          { name: 'index.json', content: JSON.stringify({ manifests: [{ digest: digest(inner) }] }) },
        ]),
      );
      expect(nested.layers).toEqual(docker25.layers);
    });

    it('names a missing blob and a zstd layer it cannot read', async () => {
      const config = configOf(await layers());
      const manifest = JSON.stringify({ config: { digest: digest(config) }, layers: [{ digest: `sha256:${sha('9')}` }] });
      await expect(
        readImageArchive(
          await streamOf([
            { name: blob(config), content: config },
            { name: blob(manifest), content: manifest },
            { name: 'index.json', content: JSON.stringify({ manifests: [{ digest: digest(manifest) }] }) },
          ]),
        ),
      ).rejects.toThrow(`the image archive lacks layer blobs/sha256/${sha('9')} that its manifest names`);
      const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
      await expect(readImageArchive(await streamOf([{ name: blob(zstd), content: zstd }]))).rejects.toThrow(/is zstd-compressed: inspect reads uncompressed and gzip layers/);
    });
  });
});
