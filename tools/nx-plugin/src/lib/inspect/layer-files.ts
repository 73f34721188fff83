import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';

/** One entry of a layer, without its content: what the waste count compares. */
export interface LayerFile {
  /** Path inside the image, without leading slash or trailing slash ("opt/conda/bin/python"). */
  path: string;
  kind: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  /** Content bytes (0 for all but regular files). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Digest of the content of a regular file: tells an unchanged re-write from an overwrite. */
  contentDigest?: string;
}

/** What one layer does to the file system above the layers before it. */
export interface LayerFiles {
  files: LayerFile[];
  /** Paths this layer deletes (`.wh.<name>` whiteouts). */
  deleted: string[];
  /** Directories whose earlier contents this layer hides (`.wh..wh..opq`). */
  opaqueDirectories: string[];
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** "./a/b/" and "/a/b" are both "a/b", as the layer's tar may write either. */
export function normalizePath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '').replace(/^\.$/, '');
}

function kindOf(type: string | null | undefined): LayerFile['kind'] {
  switch (type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Sorts one tar entry into files, deletions (whiteouts) and opaque directories. */
export function classifyEntry(
  header: { name: string; type?: string | null; size?: number; mode?: number; uid?: number; gid?: number },
  into: LayerFiles,
  contentDigest?: string,
): void {
  const path = normalizePath(header.name);
  if (!path) return;
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const base = path.slice(slash + 1);
  if (base === OPAQUE) {
    into.opaqueDirectories.push(dir);
  } else if (base.startsWith(WHITEOUT)) {
    into.deleted.push(dir ? `${dir}/${base.slice(WHITEOUT.length)}` : base.slice(WHITEOUT.length));
  } else {
    const kind = kindOf(header.type);
    into.files.push({
      path,
      kind,
      size: kind === 'file' ? (header.size ?? 0) : 0,
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      ...(contentDigest !== undefined && { contentDigest }),
    });
  }
}

/**
 * Reads a layer tar as it streams past: only headers and a digest of each
 * file's content are kept, so memory grows with the number of files, never
 * with their bytes. The digest is not a security check (sha1 is quicker
 * than sha256 on gigabytes and collisions do not matter here).
 */
export async function readLayerFiles(layer: Readable | AsyncIterable<Buffer>): Promise<LayerFiles> {
  const result: LayerFiles = { files: [], deleted: [], opaqueDirectories: [] };
  const tar = extract();
  const source = layer as Readable;
  source.on?.('error', (error: Error) => tar.destroy(error));
  source.pipe(tar as never);
  for await (const entry of tar) {
    let digest: string | undefined;
    if (kindOf(entry.header.type) === 'file') {
      const hash = createHash('sha1');
      for await (const chunk of entry) hash.update(chunk as Buffer);
      digest = hash.digest('hex');
    } else {
      entry.resume();
    }
    classifyEntry(entry.header, result, digest);
  }
  return result;
}
