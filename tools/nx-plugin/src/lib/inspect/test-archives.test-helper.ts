import { Readable } from 'node:stream';
import { pack } from 'tar-stream';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
}

/** A tar built with tar-stream's packer, as a Buffer. */
export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const tar = pack();
  for (const entry of entries) {
    const { content, ...header } = entry;
    const full = { type: 'file' as const, mode: 0o644, uid: 0, gid: 0, ...header };
    if (full.type === 'file') tar.entry(full, content ?? '');
    else tar.entry(full);
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function streamOf(entries: TarEntry[]): Promise<Readable> {
  return Readable.from([await tarOf(entries)]);
}
