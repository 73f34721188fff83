import { existsSync, readFileSync } from 'node:fs';
import { isRetryableStatus, withRetries, type RetryOptions } from '../registry/retry';
import { classifyEngineFailure, type EngineFailure } from './classify-engine-failure';
import type { Cli } from './engine-cli';
import { EngineRunError } from './engine-output';

export interface PushDependencies extends RetryOptions {
  cli: Cli;
  /** An auth file holding the registry's login, when it is not where the engine looks by itself (a docker credential helper podman does not read). */
  authFile?: string | null;
  /** Where the engine writes the digest it pushed (podman's --digestfile), so the caller can tell it from another runner's. */
  digestFile?: string;
}

/** A connection the registry dropped under the push (not one it refused, nor an unknown host): another try may pass. */
const DROPPED = /broken pipe|connection reset|unexpected EOF|\bEOF\b|use of closed network connection|i\/o timeout/i;

/** Whether a failed push is worth another try: throttled, a passing 5xx, or a dropped connection. */
export function isRetryablePushFailure(failure: EngineFailure): boolean {
  if (failure.kind === 'throttled') return true;
  if (failure.kind === 'registry-error') return isRetryableStatus(failure.status);
  return failure.kind === 'unreachable' && DROPPED.test(failure.detail);
}

/**
 * Pushes `image` with the engine's own CLI, trying again (one line each,
 * bounded in tries and time) while the registry throttles, fails with a
 * passing 5xx or drops the connection. The engine resumes a push: layers that
 * arrived are not sent again. A push that still fails throws an
 * EngineRunError with the engine's output, for the failure classifier.
 */
export async function pushImage(image: string, deps: PushDependencies): Promise<string | null> {
  const args = ['push', ...(deps.authFile ? ['--authfile', deps.authFile] : []), ...(deps.digestFile ? ['--digestfile', deps.digestFile] : []), image];
  const result = await withRetries(
    `${deps.cli.name} push ${image}`,
    async () => {
      const pushed = await deps.cli.run(args);
      if (pushed.code === 0) return { result: pushed, again: null };
      const failure = classifyEngineFailure(pushed.spawnError ?? `${pushed.stdout}\n${pushed.stderr}`, pushed.code ?? undefined);
      return { result: pushed, again: isRetryablePushFailure(failure) ? { why: failure.detail, retryAfterMs: null } : null };
    },
    deps,
  );
  if (result.code === 0) return deps.digestFile && existsSync(deps.digestFile) ? readFileSync(deps.digestFile, 'utf8').trim() || null : null;
  throw new EngineRunError(result.spawnError ?? `${result.stdout}\n${result.stderr}`, result.code ?? undefined, `${deps.cli.name} push ${image} failed`);
}
