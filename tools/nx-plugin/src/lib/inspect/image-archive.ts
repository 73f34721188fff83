import { posix } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
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

/** docker-archive's manifest.json (docker 25 and later write it beside the OCI layout too). */
interface ManifestEntry {
  Config: string;
  Layers: string[];
}

/** An OCI descriptor, as index.json and image manifests list them. */
interface Descriptor {
  mediaType?: string;
  digest?: string;
}

interface OciIndexOrManifest {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

const SMALL_FILE_LIMIT = 16 * 1024 * 1024;
const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
/** An OCI layout's content-addressed files: blobs/<algorithm>/<hex>, no extension. */
const BLOB = /^blobs\/[a-z0-9]+\/[a-f0-9]+$/;

const startsWith = (bytes: Buffer, magic: number[]) => bytes.length >= magic.length && magic.every((byte, index) => bytes[index] === byte);

/** Where an OCI layout keeps the blob of a digest. */
function blobPath(digest: string | undefined, what: string): string {
  const match = /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest ?? '');
  if (!match) throw new ArchiveFormatError(`the image archive's ${what} names no digest`);
  return `blobs/${match[1]}/${match[2]}`;
}

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

/** The first bytes of a stream, and the whole stream again (those bytes included) to read on. */
async function peek(entry: AsyncIterable<unknown>, bytes: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = entry[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value as Buffer);
    length += (next.value as Buffer).length;
  }
  async function* whole(): AsyncGenerator<Buffer> {
    yield* chunks;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value as Buffer;
  }
  return { head: Buffer.concat(chunks), stream: Readable.from(whole(), { objectMode: false }) };
}

/** Indexes a gzip layer through gunzip; its size is the uncompressed tar's, as a docker-archive stores it. */
async function readGzipLayer(compressed: Readable): Promise<{ sizeBytes: number; files: LayerFiles }> {
  let sizeBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sizeBytes += chunk.length;
      done(null, chunk);
    },
  });
  // A corrupt stream destroys every stage, so readLayerFiles sees the error.
  pipeline(compressed, createGunzip(), counter, () => undefined);
  const files = await readLayerFiles(counter);
  return { sizeBytes, files };
}

type Blob = { kind: 'json'; text: string } | { kind: 'layer'; sizeBytes: number; files: LayerFiles } | { kind: 'empty' };

/**
 * One blob of an OCI layout, told apart by its content since blobs have no
 * names: JSON (index, manifest, config) is kept; a layer is indexed, gzip
 * layers (podman's oci-archive) through gunzip, so its size and files are
 * those of the uncompressed tar, as in a docker-archive.
 */
async function readBlob(entry: AsyncIterable<unknown>, name: string, size: number): Promise<Blob> {
  const { head, stream } = await peek(entry, ZSTD_MAGIC.length);
  if (head.length === 0) return { kind: 'empty' };
  if (head[0] === '{'.charCodeAt(0) && size <= SMALL_FILE_LIMIT) return { kind: 'json', text: await readSmall(stream, name) };
  if (startsWith(head, ZSTD_MAGIC)) {
    stream.resume();
    throw new ArchiveFormatError(`layer ${name} of the image archive is zstd-compressed: inspect reads uncompressed and gzip layers; save the image with gzip or uncompressed layers`);
  }
  if (startsWith(head, GZIP_MAGIC)) return { kind: 'layer', ...(await readGzipLayer(stream)) };
  return { kind: 'layer', sizeBytes: size, files: await readLayerFiles(stream) };
}

/** Config and layers in order, from docker-archive's manifest.json. */
function fromManifestJson(text: string): { config: string; layers: string[] } {
  const [manifest] = JSON.parse(text) as ManifestEntry[];
  if (!manifest?.Config || !Array.isArray(manifest.Layers)) throw new ArchiveFormatError('manifest.json of the image archive names no config or layers');
  return { config: manifest.Config, layers: manifest.Layers };
}

/** Config and layers in order, from an OCI layout's index.json: its first image, through a nested index if there is one. */
function fromOciIndex(text: string, json: Map<string, string>): { config: string; layers: string[] } {
  let document = JSON.parse(text) as OciIndexOrManifest;
  for (let depth = 0; !document.config && depth < 4; depth++) {
    const [first] = document.manifests ?? [];
    const path = blobPath(first?.digest, 'index.json entry');
    const next = json.get(path);
    if (!next) throw new ArchiveFormatError(`the image archive lacks ${path}, which its index names`);
    document = JSON.parse(next) as OciIndexOrManifest;
  }
  if (!document.config || !Array.isArray(document.layers)) throw new ArchiveFormatError('the image manifest of the OCI archive names no config or layers');
  return { config: blobPath(document.config.digest, 'image config'), layers: document.layers.map((layer) => blobPath(layer.digest, 'layer')) };
}

/**
 * Reads a saved image as it streams, in either layout `docker save` and
 * `podman save` write: a docker-archive (`<id>/layer.tar` or `<diff id>.tar`
 * layers, manifest.json) or an OCI layout (`blobs/sha256/<hex>`, index.json;
 * docker 25 and later, `podman save --format oci-archive`). Every layer is
 * indexed on the way (headers and content digests only, see readLayerFiles)
 * and the small JSON files are kept; then the manifest, which comes last,
 * puts the layers in order. Memory grows with the number of files in the
 * image, not with its bytes.
 */
export async function readImageArchive(archive: Readable): Promise<ArchiveImage> {
  const layersByName = new Map<string, { sizeBytes: number; files: LayerFiles }>();
  const links = new Map<string, string>();
  const json = new Map<string, string>();
  const tar = extract();
  archive.on('error', (error) => tar.destroy(error));
  archive.pipe(tar as never);
  for await (const entry of tar) {
    const { type, size, linkname } = entry.header;
    const name = posix.normalize(entry.header.name);
    if ((type === 'symlink' || type === 'link') && linkname) {
      // podman writes <v1 id>/layer.tar as a link to <diff id>.tar.
      links.set(name, posix.normalize(type === 'symlink' ? posix.join(posix.dirname(name), linkname) : linkname));
      entry.resume();
    } else if (type === 'file' && name.endsWith('.tar')) {
      layersByName.set(name, { sizeBytes: size ?? 0, files: await readLayerFiles(entry as never) });
    } else if (type === 'file' && name.endsWith('.json')) {
      json.set(name, await readSmall(entry, name));
    } else if (type === 'file' && BLOB.test(name)) {
      const blob = await readBlob(entry, name, size ?? 0);
      if (blob.kind === 'json') json.set(name, blob.text);
      else if (blob.kind === 'layer') layersByName.set(name, { sizeBytes: blob.sizeBytes, files: blob.files });
    } else {
      entry.resume();
    }
  }
  const manifestJson = json.get('manifest.json');
  const ociIndex = json.get('index.json');
  if (!manifestJson && !ociIndex) throw new ArchiveFormatError('the image archive has neither manifest.json (docker-archive) nor index.json (OCI layout): not a saved image');
  const order = manifestJson ? fromManifestJson(manifestJson) : fromOciIndex(ociIndex!, json);
  const configText = json.get(order.config);
  if (!configText) throw new ArchiveFormatError(`the image archive lacks its config ${order.config}`);
  const config = JSON.parse(configText) as ArchiveImageConfig;
  const diffIds = config.rootfs?.diff_ids ?? [];
  const layers = order.layers.map((name, index) => {
    const layer = layersByName.get(name) ?? layersByName.get(links.get(name) ?? '');
    if (!layer) throw new ArchiveFormatError(`the image archive lacks layer ${name} that its manifest names`);
    return { diffId: diffIds[index] ?? `unknown:${name}`, ...layer };
  });
  const configHex = posix.basename(order.config, '.json').replace(/^sha256:/, '');
  return { imageId: `sha256:${configHex}`, config, layers };
}
