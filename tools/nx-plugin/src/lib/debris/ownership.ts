import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Who made a build's working containers and temp files: a workspace and the
 * process (with its start time, so a reused pid is not taken for it) that ran
 * the build. Working containers carry it as a build arg (podman keeps a
 * build's args with its working containers; an arg no Dockerfile declares
 * changes nothing in the image or its layer cache), temp folders in their name.
 */
export interface BuildOwner {
  /** A hash of the workspace's path: two clones never share it. */
  workspace: string;
  pid: number;
  /** The process's start time, in clock ticks since boot (/proc/<pid>/stat). */
  start: string;
  /** Which of the process's builds (a batch runs several side by side); absent for the process as a whole. */
  build?: number;
}

/** The build arg that names a build's owner. */
export const OWNER_BUILD_ARG = 'KUBEFLOW_IMAGES_BUILD_OWNER';

/** Prefix of the temp folders builds of this workspace use as TMPDIR. */
export const SCRATCH_PREFIX = 'kubeflow-images-';

export function workspaceId(workspaceRoot: string): string {
  return createHash('sha256').update(resolve(workspaceRoot)).digest('hex').slice(0, 16);
}

export function formatOwner(owner: BuildOwner): string {
  return `${owner.workspace}.${owner.pid}.${owner.start}${owner.build === undefined ? '' : `.${owner.build}`}`;
}

export function parseOwner(text: string | undefined | null): BuildOwner | null {
  const match = /^([0-9a-f]{16})\.(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text ?? '');
  if (!match) return null;
  return { workspace: match[1], pid: Number(match[2]), start: match[3], ...(match[4] !== undefined && { build: Number(match[4]) }) };
}

/** Whether two owners are the same process (any of its builds). */
export const sameProcess = (a: BuildOwner, b: BuildOwner) => a.workspace === b.workspace && a.pid === b.pid && a.start === b.start;

/** The temp folder name of a process's build scratch, and back. */
export const scratchName = (owner: BuildOwner) => `${SCRATCH_PREFIX}${formatOwner({ ...owner, build: undefined })}`;
export const ownerOfScratch = (name: string) => (name.startsWith(SCRATCH_PREFIX) ? parseOwner(name.slice(SCRATCH_PREFIX.length)) : null);

/** A process's start time, or null when no such process runs (Linux /proc). */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the owner's process still runs (the same process, not a later one with its pid). */
export function ownerAlive(owner: BuildOwner, startOf: (pid: number) => string | null = processStart): boolean {
  return startOf(owner.pid) === owner.start;
}

export function thisProcessOwner(workspaceRoot: string): BuildOwner {
  return { workspace: workspaceId(workspaceRoot), pid: process.pid, start: processStart(process.pid) ?? '0' };
}

/** What an earlier run of this workspace left: made by one of its processes that is no longer running. */
export function isLeftover(owner: BuildOwner | null, workspace: string, alive: (owner: BuildOwner) => boolean): owner is BuildOwner {
  return !!owner && owner.workspace === workspace && !alive(owner);
}
