import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { engineTempDir, realCli, type EngineName } from '../engine/engine-cli';
import { taskProcessEnv } from '../logger';
import { formatOwner, isLeftover, ownerAlive, ownerOfScratch, OWNER_BUILD_ARG, processStart, sameProcess, scratchName, thisProcessOwner, workspaceId, type BuildOwner } from './ownership';
import { removeWorkingContainers, workingContainers } from './working-containers';

/** One engine build's temp folder (its TMPDIR) and the build arg naming its owner. */
export interface BuildScratch {
  tmpdir: string;
  /** `NAME=owner`, for podman's working containers; null for docker. */
  ownerArg: string | null;
}

interface StartedBuildScratch extends BuildScratch {
  /** Removes the build's temp folder and, when the build failed or the engine left files in it (it was stopped), the build's working containers. */
  done(failed: boolean): Promise<void>;
}

interface ProcessScratch {
  owner: BuildOwner;
  dir: string;
  engines: Set<EngineName>;
  /** Builds (and pushes) under way. */
  active: number;
  builds: number;
}

let scratch: ProcessScratch | null = null;
let interrupted = false;

/**
 * Gives a build its own TMPDIR inside this process's scratch folder
 * (`kubeflow-images-<workspace>.<pid>.<start>` in the engine's temp folder),
 * removed when the build ends, and on SIGINT or SIGTERM together with the
 * working containers its builds left; what a SIGKILL leaves, the next run
 * removes (removeLeftovers).
 */
function startBuildScratch(workspaceRoot: string, engine: EngineName): StartedBuildScratch {
  const current = processScratch(workspaceRoot, engine);
  const tmpdir = mkdtempSync(join(current.dir, 'build-'));
  const owner: BuildOwner = { ...current.owner, build: ++current.builds };
  current.active++;
  return {
    tmpdir,
    ownerArg: engine === 'podman' ? `${OWNER_BUILD_ARG}=${formatOwner(owner)}` : null,
    async done(failed) {
      current.active--;
      // A build that ends normally leaves nothing here; the engine's files mean it was stopped (a signal to its process group,
      // which nx-container may not even report as a failure). A failed build's working containers stay too (podman's --rm is for successes).
      // Once interrupted, the interruption removes every working container of this process when its engines are gone.
      if (engine === 'podman' && !interrupted && (failed || readdirSync(tmpdir).length > 0)) await removeContainers((container) => formatOwner(container) === formatOwner(owner));
      rmSync(tmpdir, { recursive: true, force: true });
    },
  };
}

/** Removes the working containers whose owner `matches`; returns how many it removed. */
async function removeContainers(matches: (owner: BuildOwner) => boolean): Promise<number> {
  const podman = realCli('podman', taskProcessEnv());
  const ours = (await workingContainers(podman)).filter((container) => container.owner && matches(container.owner));
  return ours.length - (await removeWorkingContainers(podman, ours.map((container) => container.id)));
}

/** This process's scratch folder (made on first use, with the handlers that remove it): for a build's other temp files. */
export function processScratchDir(workspaceRoot: string, engine: EngineName): string {
  return processScratch(workspaceRoot, engine).dir;
}

function processScratch(workspaceRoot: string, engine: EngineName): ProcessScratch {
  if (!scratch) {
    const owner = thisProcessOwner(workspaceRoot);
    scratch = { owner, dir: join(engineTempDir(engine), scratchName(owner)), engines: new Set(), active: 0, builds: 0 };
    const dir = scratch.dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void interrupt(signal));
    startStopCanary();
  }
  scratch.engines.add(engine);
  mkdirSync(scratch.dir, { recursive: true });
  return scratch;
}

/** Runs `body` (an engine build or push) with a TMPDIR of its own and its owner build arg; what it leaves is removed when it ends or is interrupted. */
export async function withBuildScratch<T>(workspaceRoot: string, engine: EngineName, body: (scratch: BuildScratch) => Promise<T>): Promise<T> {
  const build = startBuildScratch(workspaceRoot, engine);
  let failed = true;
  try {
    const result = await body(build);
    failed = false;
    return result;
  } finally {
    await build.done(failed);
  }
}

/**
 * Nx stops a task process's tree leaves first and signals a process only once
 * its children have exited, then SIGKILLs what is left after a grace period
 * (5 s by default). A RUN step's process is the init of its container and
 * ignores SIGTERM, so this process would get no signal before the SIGKILL.
 * The canary, a child with no children, is a leaf from the start: whoever
 * stops this process's tree signals it among the first, and its death by that
 * signal starts the interruption. It reads a pipe from this process, so it
 * ends when this process does.
 */
function startStopCanary(): void {
  const canary = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  canary.on('error', () => undefined);
  // Its end by a SIGKILL, or by this process ending, asks nothing.
  canary.on('exit', (_code, signal) => {
    if (signal === 'SIGINT' || signal === 'SIGTERM') void interrupt(signal);
  });
  canary.unref();
  (canary.stdin as unknown as Socket).unref();
}

/** A process and everything it started, children first (Linux /proc). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Gone already.
  }
  return [...children.flatMap(processTree), pid];
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Stops this process's builds, removes the working containers they made and
 * its temp folders, then exits as the signal asks. It runs when this process
 * or its canary gets SIGINT or SIGTERM: a terminal's Ctrl-C, Nx stopping an
 * interrupted run (all of it must end within Nx's grace period), Nx ending a
 * finished batch.
 */
async function interrupt(signal: keyof typeof SIGNAL_EXIT): Promise<void> {
  if (interrupted || !scratch) return;
  interrupted = true;
  const { owner, dir, engines, active, builds } = scratch;
  // A build that ended when the signal reached its engine first (Nx stops a task's processes children first) may have
  // been reported as done: any build of this process may have left working containers.
  if (active > 0 || builds > 0) {
    // Every process this one started (nx-container, the engine's builds and pushes): stopped before their files go.
    const tree = processTree(process.pid).filter((pid) => pid !== process.pid);
    const starts = new Map(tree.map((pid) => [pid, processStart(pid)]));
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Ended meanwhile.
      }
    }
    for (let waited = 0; waited < 5000 && tree.some((pid) => starts.get(pid) !== null && processStart(pid) === starts.get(pid)); waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (engines.has('podman')) await removeContainers((container) => sameProcess(container, owner));
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(SIGNAL_EXIT[signal]);
}

const cleaned = new Set<string>();

/**
 * Removes what earlier runs of this workspace left when they were killed
 * (SIGKILL, a lost machine): their temp folders and the working containers
 * their builds made. Only a process that no longer runs leaves anything: a
 * build of this workspace that still runs, and anything of another
 * workspace, is left alone. Once per process and engine; returns the line
 * saying what it removed, or null.
 */
export async function removeLeftovers(workspaceRoot: string, engine: EngineName): Promise<string | null> {
  const key = `${workspaceRoot}\0${engine}`;
  if (cleaned.has(key)) return null;
  cleaned.add(key);
  const workspace = workspaceId(workspaceRoot);
  const base = engineTempDir(engine);
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    return null;
  }
  const folders = names.filter((name) => isLeftover(ownerOfScratch(name), workspace, ownerAlive));
  // Working containers of a killed run sit beside its temp folder; without one there is nothing to look for.
  if (folders.length === 0) return null;
  const containers = engine === 'podman' ? await removeContainers((container) => isLeftover(container, workspace, ownerAlive)) : 0;
  for (const name of folders) rmSync(join(base, name), { recursive: true, force: true });
  const pids = folders.map((name) => ownerOfScratch(name)!.pid).join(', ');
  return `removed what an earlier run of this workspace left when it was killed (pid ${pids}): ${containers} working container${containers === 1 ? '' : 's'}, ${folders.length} temp folder${folders.length === 1 ? '' : 's'} in ${base}`;
}
