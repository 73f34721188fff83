import type { RunEvent } from './run-events';

/** One build-<stream> task of a run, as Nx reported it and as its record says. */
export interface BuildTaskOutcome {
  /** `<project>:<target>` */
  task: string;
  /** Nx's status: success, failure, skipped, stopped, local-cache, remote-cache, ... */
  status: string;
  /** The record's `source` after the run; null when there is none. */
  source: string | null;
}

export interface BuildCounts {
  built: number;
  registry: number;
  engine: number;
  nx: number;
  planned: number;
  failed: number;
  notRun: number;
}

const RESTORED = new Set(['local-cache', 'local-cache-kept-existing', 'remote-cache']);
const NOT_RUN = new Set(['skipped', 'stopped']);

/** Which build targets the summary counts: one per stream. */
export const BUILD_TARGET = /^build-(cpu|gpu)$/;

/**
 * What really happened to each image: a task that ran counts by the record it
 * wrote; a task Nx restored from its cache counts as restored, unless its
 * image had to be rebuilt (or pulled) for a consumer in this run, which then
 * counts as built (or reused from the registry). A task without a result
 * (Nx keeps none for a task it did not run) counts as not run when the batch
 * says so; an image brought back whose task is not in the run counts once too.
 */
export function countBuilds(outcomes: BuildTaskOutcome[], events: RunEvent[] = []): BuildCounts {
  const counts: BuildCounts = { built: 0, registry: 0, engine: 0, nx: 0, planned: 0, failed: 0, notRun: 0 };
  const brought = new Map<string, RunEvent['kind']>();
  for (const event of events) if (event.kind !== 'not-run' && brought.get(event.task) !== 'rebuilt') brought.set(event.task, event.kind);
  const seen = new Set<string>();
  for (const { task, status, source } of outcomes) {
    seen.add(task);
    const back = brought.get(task);
    if (RESTORED.has(status)) {
      if (back === 'rebuilt') counts.built++;
      else if (back === 'pulled') counts.registry++;
      else counts.nx++;
    } else if (NOT_RUN.has(status)) counts.notRun++;
    else if (status !== 'success') counts.failed++;
    else if (source === 'built') counts.built++;
    else if (source === 'registry') counts.registry++;
    else if (source === 'local') counts.engine++;
    else if (source === 'planned') counts.planned++;
    else counts.failed++; // a success without a record
  }
  for (const event of events) {
    if (seen.has(event.task)) continue;
    seen.add(event.task);
    if (event.kind === 'not-run') counts.notRun++;
    else if (brought.get(event.task) === 'rebuilt') counts.built++;
    else counts.registry++;
  }
  return counts;
}

export function formatBuildCounts(counts: BuildCounts): string {
  const extra = [
    counts.planned ? `planned ${counts.planned}` : '',
    counts.failed || counts.notRun ? `failed ${counts.failed}` : '',
    counts.failed || counts.notRun ? `not run ${counts.notRun}` : '',
  ].filter(Boolean);
  return `images: built ${counts.built}, reused from the registry ${counts.registry}, from the engine ${counts.engine}, restored by Nx ${counts.nx}${extra.length ? `; ${extra.join(', ')}` : ''}`;
}
