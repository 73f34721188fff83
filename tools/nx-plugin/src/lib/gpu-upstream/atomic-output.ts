import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Fills a staging directory beside `target` and renames it into place only
 * when `fill` succeeds, so the target is either complete or absent. Callers
 * remove the old target first: a failed run must not leave a stale context
 * that a later build could take for the current one.
 */
export function writeDirectoryAtomically(target: string, fill: (staging: string) => void): void {
  mkdirSync(dirname(target), { recursive: true });
  // Same parent, same file system: the rename is atomic.
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
  try {
    // mkdtemp makes it private (0700); the context is an ordinary directory.
    chmodSync(staging, 0o755);
    fill(staging);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
