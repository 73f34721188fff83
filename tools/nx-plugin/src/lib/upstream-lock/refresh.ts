import { applyRefresh, type RefreshOutcome, type RefreshResult, type RefreshTarget, type UpstreamLock } from './upstream-lock';

/** Asks a registry which digest a name:tag points at now; null when the tag does not exist. */
export type DigestLookup = (reference: string) => Promise<string | null>;

/**
 * Asks the registry for each target's current digest, one failure not
 * stopping the others, and applies the answers to the lock (see applyRefresh).
 */
export async function refreshUpstreamLock(
  lock: UpstreamLock,
  targets: RefreshTarget[],
  digestOf: DigestLookup,
  now: string = new Date().toISOString(),
): Promise<RefreshOutcome> {
  const results: RefreshResult[] = [];
  for (const target of targets) {
    try {
      const digest = await digestOf(target.reference);
      results.push(digest ? { key: target.key, digest } : { key: target.key, error: `the registry has no tag ${target.reference}` });
    } catch (error) {
      results.push({ key: target.key, error: error instanceof Error ? error.message.split('\n')[0] : String(error) });
    }
  }
  return applyRefresh(lock, targets, results, now);
}
