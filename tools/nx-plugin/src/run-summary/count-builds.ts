/** One build-<stream> task of a run, as Nx reported it and as its record says. */
export interface BuildTaskOutcome {
  /** Nx's status: success, failure, skipped, local-cache, remote-cache, ... */
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
}

const RESTORED = new Set(['local-cache', 'local-cache-kept-existing', 'remote-cache']);

/** Which build targets the summary counts: one per stream. */
export const BUILD_TARGET = /^build-(cpu|gpu)$/;

/**
 * What really happened to each image: a task Nx restored from its cache
 * counts as restored whatever its replayed record says; a task that ran
 * counts by the record it wrote.
 */
export function countBuilds(outcomes: BuildTaskOutcome[]): BuildCounts {
  const counts: BuildCounts = { built: 0, registry: 0, engine: 0, nx: 0, planned: 0, failed: 0 };
  for (const { status, source } of outcomes) {
    if (RESTORED.has(status)) counts.nx++;
    else if (status !== 'success') counts.failed++;
    else if (source === 'built') counts.built++;
    else if (source === 'registry') counts.registry++;
    else if (source === 'local') counts.engine++;
    else if (source === 'planned') counts.planned++;
    else counts.failed++;
  }
  return counts;
}

export function formatBuildCounts(counts: BuildCounts): string {
  const extra = [counts.planned ? `planned ${counts.planned}` : '', counts.failed ? `failed or not run ${counts.failed}` : ''].filter(Boolean);
  return `images: built ${counts.built}, reused from the registry ${counts.registry}, from the engine ${counts.engine}, restored by Nx ${counts.nx}${extra.length ? `; ${extra.join(', ')}` : ''}`;
}
