/**
 * When to try a registry call (or a push) again: on 429, on a 5xx that can
 * pass (not 501/505), and on a connection the registry reset or closed. The
 * wait honours Retry-After (seconds or an HTTP date), else doubles from one
 * second; tries and total time are bounded, so a registry that stays down
 * fails the build in about a minute, not never.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first wait without Retry-After; each later one doubles. */
  baseDelayMs: number;
  /** No single wait is longer (a Retry-After of an hour is not honoured in full). */
  maxDelayMs: number;
  /** No retry starts after this much time since the first try. */
  maxTotalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 1_000, maxDelayMs: 30_000, maxTotalMs: 60_000 };

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** Network error codes of a connection that went away under a request: worth another try (unlike a refused one or an unknown host). */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

export function isRetryableNetworkCode(code: string | undefined): boolean {
  return !!code && RETRYABLE_NETWORK_CODES.has(code);
}

/** Retry-After in milliseconds: delta seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * How long to wait before retry number `retry` (1 for the first), or null
 * when the policy allows no more: out of tries, or the wait would end past
 * the time budget counted from `startedAt`.
 */
export function retryDelay(retry: number, retryAfterMs: number | null, startedAt: number, now: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number | null {
  if (retry >= policy.attempts) return null;
  const delay = Math.min(retryAfterMs ?? policy.baseDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
  return now + delay - startedAt > policy.maxTotalMs ? null : delay;
}

/** The one line printed for each retry. */
export function retryLine(what: string, why: string, retry: number, delayMs: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): string {
  const wait = delayMs < 1000 ? `${delayMs} ms` : `${Math.round(delayMs / 100) / 10} s`;
  return `${what}: ${why}; retrying in ${wait} (retry ${retry} of ${policy.attempts - 1})`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * What one try gave, and whether another may pass: why this one failed, the
 * wait the registry asked for, and what to release when the result is dropped
 * for another try (a response body).
 */
export interface TryOutcome<T> {
  result: T;
  again: { why: string; retryAfterMs: number | null; release?: () => Promise<void> } | null;
}

export interface RetryOptions {
  /** The one line per retry. */
  log: (line: string) => void;
  policy?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Tries `once` again while its outcome says another try may pass and the
 * policy allows one (one line each, naming `what`), then returns the last
 * result for the caller to judge.
 */
export async function withRetries<T>(what: string, once: () => Promise<TryOutcome<T>>, options: RetryOptions): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const now = options.now ?? Date.now;
  const startedAt = now();
  for (let retry = 1; ; retry++) {
    const { result, again } = await once();
    const delay = again ? retryDelay(retry, again.retryAfterMs, startedAt, now(), policy) : null;
    if (delay === null) return result;
    await again!.release?.();
    options.log(retryLine(what, again!.why, retry, delay, policy));
    await (options.sleep ?? sleep)(delay);
  }
}
