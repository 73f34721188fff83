import { existsSync, readFileSync, statSync } from 'node:fs';
import type { E2eServices } from './e2e-services';

/** One GET /v2/<repository>/blobs/<digest> in the e2e registry's access log. */
export interface BlobGet {
  repository: string;
  digest: string;
  status: number;
  /** Bytes sent, as the log records them (0 for "-"). */
  bytes: number;
}

// Apache combined format, as distribution's access logger writes it.
const BLOB_GET_LINE = /"GET \/v2\/(.+?)\/blobs\/([^ ?"]+)[^"]*" (\d{3}) (\d+|-)/;

/** Where the log ends now: pass it to readAccessLog to see only what comes after. */
export function accessLogSize(services: Pick<E2eServices, 'accessLog'>): number {
  return existsSync(services.accessLog) ? statSync(services.accessLog).size : 0;
}

/** The log from `offset` on ('' before the registry wrote anything). */
export function readAccessLog(services: Pick<E2eServices, 'accessLog'>, offset = 0): string {
  return existsSync(services.accessLog) ? readFileSync(services.accessLog).subarray(offset).toString('utf8') : '';
}

/** The log from `offset` on, once `until` holds of it (lines land just after the response) or after 5 s. */
export async function waitForAccessLog(services: Pick<E2eServices, 'accessLog'>, offset: number, until: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = readAccessLog(services, offset);
    if (until(text) || Date.now() > deadline) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The blob downloads in `log`; the log is shared by every suite, so filter by repository where others may pull. */
export function blobGets(log: string): BlobGet[] {
  return log
    .split('\n')
    .map((line) => BLOB_GET_LINE.exec(line))
    .filter((match): match is RegExpExecArray => !!match)
    .map(([, repository, digest, status, bytes]) => ({ repository, digest, status: Number(status), bytes: bytes === '-' ? 0 : Number(bytes) }));
}
