import { request } from 'node:http';

export interface HttpAnswer {
  /** HTTP status, or null when nothing answered. */
  status: number | null;
  error?: string;
}

/** One GET, redirects not followed (a redirect means the server answers under the prefix). */
export function httpGet(url: string, timeoutMs = 5_000): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? null });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ status: null, error: (error as NodeJS.ErrnoException).code ?? error.message }));
    req.end();
  });
}

export function answers(status: number | null): boolean {
  return status !== null && status >= 200 && status < 400;
}

export type WaitOutcome =
  | { ok: true; status: number; elapsedMs: number }
  | { ok: false; reason: 'timeout'; last: HttpAnswer; elapsedMs: number }
  | { ok: false; reason: 'exited'; exitCode: number | null; last: HttpAnswer; elapsedMs: number };

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Whether the container still runs (and its exit code when not); a dead server need not be waited for. */
  containerState: () => Promise<{ running: boolean; exitCode: number | null }>;
  get?: (url: string) => Promise<HttpAnswer>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Polls `url` until it answers 2xx/3xx, the container stops, or the time limit passes. */
export async function waitForHttp(url: string, options: WaitOptions): Promise<WaitOutcome> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const get = options.get ?? ((target: string) => httpGet(target));
  const start = now();
  let last: HttpAnswer = { status: null, error: 'not tried' };
  for (;;) {
    last = await get(url);
    if (answers(last.status)) return { ok: true, status: last.status!, elapsedMs: now() - start };
    const state = await options.containerState();
    if (!state.running) return { ok: false, reason: 'exited', exitCode: state.exitCode, last, elapsedMs: now() - start };
    if (now() - start >= options.timeoutMs) return { ok: false, reason: 'timeout', last, elapsedMs: now() - start };
    await sleep(options.intervalMs ?? 500);
  }
}

/** What the last attempt saw, for the failure message. */
export function describeAnswer(answer: HttpAnswer): string {
  return answer.status !== null ? `last answer HTTP ${answer.status}` : `last attempt: ${answer.error ?? 'no answer'}`;
}
