import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { readLayerFiles, type LayerFiles } from './layer-files';

/** The parts of an image config (OCI / docker) the report reads. */
export interface ArchiveImageConfig {
  rootfs?: { diff_ids?: string[] };
  history?: Array<{ created_by?: string; comment?: string; empty_layer?: boolean }>;
}

export interface ArchiveLayer {
  /** Digest of the uncompressed layer (the config's diff_id). */
  diffId: string;
  /** Bytes of the uncompressed layer tar. */
  sizeBytes: number;
  files: LayerFiles;
}

export interface ArchiveImage {
  /** Image id: the digest of its config. */
  imageId: string;
  config: ArchiveImageConfig;
  /** Bottom layer first. */
  layers: ArchiveLayer[];
}

class ArchiveFormatError extends Error {}

interface ManifestEntry {
  Config: string;
  Layers: string[];
}

const SMALL_FILE_LIMIT = 16 * 1024 * 1024;

async function readSmall(entry: AsyncIterable<unknown>, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of entry) {
    length += (chunk as Buffer).length;
    if (length > SMALL_FILE_LIMIT) throw new ArchiveFormatError(`${name} in the image archive is larger than ${SMALL_FILE_LIMIT} bytes: not an image config`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a docker-archive (what `podman save` and `docker save` write) as it
 * streams: every layer tar is indexed on the way (headers and content
 * digests only, see readLayerFiles) and the small JSON files are kept; then
 * manifest.json, which comes last, puts the layers in order. Memory grows with
 * the number of files in the image, not with its bytes.
 */
export async function readImageArchive(archive: Readable): Promise<ArchiveImage> {
  const layersByName = new Map<string, { sizeBytes: number; files: LayerFiles }>();
  const links = new Map<string, string>();
  const json = new Map<string, string>();
  const tar = extract();
  archive.on('error', (error) => tar.destroy(error));
  archive.pipe(tar as never);
  for await (const entry of tar) {
    const { name, type, size, linkname } = entry.header;
    if ((type === 'symlink' || type === 'link') && linkname) {
      // podman writes <v1 id>/layer.tar as a link to <diff id>.tar.
      links.set(name, type === 'symlink' ? posix.normalize(posix.join(posix.dirname(name), linkname)) : linkname);
      entry.resume();
    } else if (type === 'file' && name.endsWith('.tar')) {
      layersByName.set(name, { sizeBytes: size ?? 0, files: await readLayerFiles(entry as never) });
    } else if (type === 'file' && name.endsWith('.json')) {
      json.set(name, await readSmall(entry, name));
    } else {
      entry.resume();
    }
  }
  const manifestText = json.get('manifest.json');
  if (!manifestText) throw new ArchiveFormatError('the image archive has no manifest.json: not a docker-archive');
  const [manifest] = JSON.parse(manifestText) as ManifestEntry[];
  if (!manifest?.Config || !Array.isArray(manifest.Layers)) throw new ArchiveFormatError('manifest.json of the image archive names no config or layers');
  const configText = json.get(manifest.Config);
  if (!configText) throw new ArchiveFormatError(`the image archive lacks its config ${manifest.Config}`);
  const config = JSON.parse(configText) as ArchiveImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = manifest.Layers.map((name, index) => {
    const layer = layersByName.get(name) ?? layersByName.get(links.get(name) ?? '');
    if (!layer) throw new ArchiveFormatError(`the image archive lacks layer ${name} that its manifest names`);
    return { diffId: diffIds[index] ?? `unknown:${name}`, ...layer };
  });
  const imageId = `sha256:${posix.basename(manifest.Config, '.json').replace(/^sha256:/, '')}`;
  return { imageId, config, layers };
}
