import { RegistryUnreachableError } from '../registry/errors';
import { applyRefresh, type RefreshOutcome, type RefreshResult, type RefreshTarget, type UpstreamLock } from './upstream-lock';

/** Asks a registry which digest a name:tag points at now; null when the tag does not exist. */
export type DigestLookup = (reference: string) => Promise<string | null>;

/**
 * Asks the registry for each target's current digest, one failure not
 * stopping the others (a target whose reference could not be learnt comes
 * with `unavailable`, the reason), and applies the answers to the lock (see applyRefresh).
 */
export async function refreshUpstreamLock(
  lock: UpstreamLock,
  targets: Array<RefreshTarget & { unavailable?: string }>,
  digestOf: DigestLookup,
  now: string = new Date().toISOString(),
): Promise<RefreshOutcome> {
  const results: RefreshResult[] = [];
  for (const target of targets) {
    if (target.unavailable) {
      results.push({ key: target.key, error: target.unavailable });
      continue;
    }
    try {
      const digest = await digestOf(target.reference);
      results.push(digest ? { key: target.key, digest } : { key: target.key, error: `the registry has no tag ${target.reference}` });
    } catch (error) {
      // The registry client's own advice ("fix IMAGE_REGISTRY") is about the push registry, not an upstream's.
      const reason = error instanceof RegistryUnreachableError ? `registry ${error.registry} is not reachable (${error.reason})` : error instanceof Error ? error.message.split('\n')[0] : String(error);
      results.push({ key: target.key, error: reason });
    }
  }
  return applyRefresh(lock, targets.map(({ key, reference }) => ({ key, reference })), results, now);
}
