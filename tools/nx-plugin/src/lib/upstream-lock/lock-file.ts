import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyLock, formatUpstreamLock, parseUpstreamLock, UPSTREAM_LOCK_FILE, type UpstreamLock } from './upstream-lock';

export function upstreamLockPath(workspaceRoot: string): string {
  return join(workspaceRoot, UPSTREAM_LOCK_FILE);
}

/**
 * Reads upstream-lock.json at the workspace root, offline. A missing file is
 * an empty lock: every upstream is then unlocked, which plan mode reports and
 * a real build refuses.
 */
export function readUpstreamLock(workspaceRoot: string): UpstreamLock {
  const path = upstreamLockPath(workspaceRoot);
  if (!existsSync(path)) return emptyLock();
  return parseUpstreamLock(readFileSync(path, 'utf8'), UPSTREAM_LOCK_FILE);
}

/** Written through a temporary file and a rename: the lock is the old one or the new one, never half of either. */
export function writeUpstreamLock(workspaceRoot: string, lock: UpstreamLock): void {
  const path = upstreamLockPath(workspaceRoot);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, formatUpstreamLock(lock));
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}
