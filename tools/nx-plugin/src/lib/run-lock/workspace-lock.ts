import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { isNxCommand, nxCommandArgs } from '../nx-command/requested-configuration';

/** Who holds a workspace's build lock: the Nx command whose tasks write its records. */
export interface LockOwner {
  /** The Nx process that forked the holder (batch or task process): one per run. */
  runPid: number;
  /** The process holding the lock. */
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** The lock (a directory, as proper-lockfile makes it) and the note saying who holds it. */
export function lockPaths(workspaceRoot: string): { lock: string; owner: string } {
  const dist = join(workspaceRoot, 'dist');
  return { lock: join(dist, '.build-records.lock'), owner: join(dist, '.build-records.owner.json') };
}

/** How the waiting run says why it waits: one line naming the other run. */
export function waitingLine(owner: LockOwner | null): string {
  const who = owner ? ` (${owner.command || 'nx'}, pid ${owner.runPid}${owner.host !== hostname() ? ` on ${owner.host}` : ''}, since ${owner.since})` : '';
  return `another run in this workspace${who} is writing the build records: waiting for it to finish`;
}

/**
 * Whether a held lock belongs to this very run: per-task processes of one
 * Nx command share it (they are its children), another command waits.
 */
export function ownedByThisRun(owner: LockOwner | null, runPid: number): boolean {
  return !!owner && owner.runPid === runPid && owner.host === hostname();
}

function readOwner(path: string): LockOwner | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

// proper-lockfile refreshes the lock's mtime while this process lives; one a SIGKILL left is taken over after this long.
const STALE_MS = 15_000;

interface Held {
  count: number;
  release: Promise<(() => Promise<void>) | null>;
}
const held = new Map<string, Held>();

export interface LockContext {
  /** The Nx command's process (the parent of a batch or task process). */
  runPid: number;
  command: string;
  log: (line: string) => void;
}

/** The Nx command as a person typed it (`nx run-many -t build-cpu`), from its full command line. */
export function shownCommand(args: string[]): string {
  const nx = args.findIndex((arg, index) => index < 3 && isNxCommand([arg]));
  return nx < 0 ? '' : ['nx', ...args.slice(nx + 1)].join(' ');
}

/** The lock context of the task or batch process this is: its parent is the Nx command. */
export function thisRun(log: (line: string) => void): LockContext {
  return { runPid: process.ppid, command: shownCommand(nxCommandArgs()), log };
}

/**
 * Makes this workspace's build records this run's alone until the returned
 * release is called: a second Nx command that would write them (a build or a
 * plan) waits, saying so once. Re-entrant within a process (a batch's tasks,
 * a heal inside a build), shared by the task processes of one command.
 */
export async function holdWorkspaceLock(workspaceRoot: string, context: LockContext): Promise<() => Promise<void>> {
  let entry = held.get(workspaceRoot);
  if (entry) entry.count++;
  else {
    entry = { count: 1, release: acquire(workspaceRoot, context) };
    held.set(workspaceRoot, entry);
  }
  const current = entry;
  const drop = async () => {
    if (--current.count > 0) return;
    held.delete(workspaceRoot);
    const release = await current.release.catch(() => null);
    await release?.().catch(() => undefined);
  };
  try {
    await current.release;
  } catch (error) {
    await drop();
    throw error;
  }
  let dropped = false;
  return async () => {
    if (dropped) return;
    dropped = true;
    await drop();
  };
}

/** Runs `body` holding the workspace's build lock (see holdWorkspaceLock). */
export async function withWorkspaceLock<T>(workspaceRoot: string, context: LockContext, body: () => Promise<T>): Promise<T> {
  const release = await holdWorkspaceLock(workspaceRoot, context);
  try {
    return await body();
  } finally {
    await release();
  }
}

async function acquire(workspaceRoot: string, context: LockContext): Promise<(() => Promise<void>) | null> {
  const paths = lockPaths(workspaceRoot);
  mkdirSync(join(workspaceRoot, 'dist'), { recursive: true });
  const options = {
    realpath: false,
    lockfilePath: paths.lock,
    stale: STALE_MS,
    // A lock lost to a long stall is said, not thrown from a timer: the build itself can still finish.
    onCompromised: (error: Error) => context.log(`warning: the workspace's build lock was lost (${error.message}): another run may now write the same records`),
  };
  let release: () => Promise<void>;
  try {
    release = await lock(workspaceRoot, options);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ELOCKED') throw error;
    const owner = readOwner(paths.owner);
    if (ownedByThisRun(owner, context.runPid)) return null;
    context.log(waitingLine(owner));
    release = await lock(workspaceRoot, { ...options, retries: { forever: true, minTimeout: 250, maxTimeout: 1000, factor: 1.5 } });
  }
  const owner: LockOwner = { runPid: context.runPid, pid: process.pid, host: hostname(), command: context.command, since: new Date().toISOString() };
  writeFileSync(paths.owner, `${JSON.stringify(owner)}\n`);
  return release;
}
