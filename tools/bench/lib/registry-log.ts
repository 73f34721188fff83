import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** A blob download in the registry's access log (Apache combined format, written by distribution 2.8). */
const BLOB_GET = /"GET \/v2\/(.+?)\/blobs\/(sha256:[0-9a-f]{64}) HTTP\/[0-9.]+" (\d{3}) (\d+)/;

export interface PulledBytes {
  bytes: number;
  blobs: number;
  /** Bytes per repository, e.g. { 'bench-x/baseline/minimal-notebook-cpu': 20971520 }. */
  byRepository: Record<string, number>;
}

/**
 * Layer (blob) bytes the registry served in these log lines, counting only
 * repositories under `namespace/` so that other users of the same registry
 * (a concurrent e2e run) do not show up in the bench.
 */
export function pulledBytes(logText: string, namespace: string): PulledBytes {
  const result: PulledBytes = { bytes: 0, blobs: 0, byRepository: {} };
  for (const line of logText.split('\n')) {
    const match = BLOB_GET.exec(line);
    if (!match) continue;
    const [, repository, , status, size] = match;
    if (!repository.startsWith(`${namespace}/`)) continue;
    if (status !== '200' && status !== '206') continue;
    result.bytes += Number(size);
    result.blobs += 1;
    result.byRepository[repository] = (result.byRepository[repository] ?? 0) + Number(size);
  }
  return result;
}

/** The part of the access log written between mark() and read(). */
export class AccessLogWindow {
  private offset = 0;

  constructor(private readonly path: string) {}

  mark(): void {
    this.offset = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  async read(): Promise<string> {
    // The registry logs a request when its response completes; give the last one a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (!existsSync(this.path)) return '';
    const size = statSync(this.path).size;
    if (size <= this.offset) return '';
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8');
  }
}
