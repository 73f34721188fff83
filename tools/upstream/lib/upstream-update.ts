import { REBUILD_DATE_SETTING, parseBuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { RegistryUnreachableError } from '@kubeflow-images/plugin-lib/registry/errors';
import { applyRefresh, CPU_UPSTREAM_KEY, formatUpstreamLock, type UpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';
import { formatReleaseReport, releaseReport, releasesOf, type ReleaseReport } from './gpu-jupyter-release';
import { findLatestCommit, type TagRegistry } from './latest-commit';
import type { PackagePin } from './package-pins';
import { decideRebuild, type RebuildDecision } from './rebuild-date';
import type { ScannedImage } from './scanned-image';
import { withSettingValue } from './settings-file';

export const COMMIT_SETTING = 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT';

export interface UpdateInputs {
  settingsText: string;
  settingsFile: string;
  lock: UpstreamLock;
  registry: TagRegistry;
  /** `git ls-remote --tags` of gpu-jupyter's repository (GPU_JUPYTER_REPO). */
  gpuJupyterTags: (location: string) => Promise<string>;
  /** Generates the gpu stream from `commit` and runs the stream-parity check; resolves to why it failed, or null. */
  verifyStreams: (commit: string) => Promise<string | null>;
  scans: ScannedImage[];
  pins: PackagePin[];
  now: Date;
  maxAgeDays?: number;
}

interface ImageState {
  commit: string;
  reference: string;
  digest: string | null;
}

/** What the update found and did: the pull request is written from it. */
export interface UpdateSummary {
  upstream: { old: ImageState; new: ImageState; moved: boolean };
  rebuild: { old: string; new: string | null; reasons: string[]; pinsToBump: RebuildDecision['pinsToBump'] };
  gpuJupyter: ReleaseReport & { line: string };
}

export type UpdateOutcome =
  /** Something could not be checked, or the new commit failed its checks: nothing may be written. Each problem is a sentence. */
  | { status: 'failed'; problems: string[]; summary?: UpdateSummary }
  | { status: 'up-to-date'; summary: UpdateSummary }
  | { status: 'changed'; summary: UpdateSummary; settingsText: string; lockText: string };

const reason = (error: unknown) =>
  error instanceof RegistryUnreachableError ? `registry ${error.registry} is not reachable (${error.reason})` : error instanceof Error ? error.message.split('\n')[0] : String(error);

/**
 * One update run, without touching the workspace: it asks the registry
 * which commit `latest` is, gpu-jupyter for its releases, and the scans
 * whether our layers are due; then, when the commit moved, checks that the gpu
 * stream generates from it and matches the cpu stream. Only a run that could
 * check everything returns new file contents.
 */
export async function runUpstreamUpdate(inputs: UpdateInputs): Promise<UpdateOutcome> {
  const settings = parseBuildSettings(inputs.settingsText, inputs.settingsFile, {});
  const values = settings.values;
  const repository = values.UPSTREAM_CONTAINER_CPU_UNTAGGED;
  const problems: string[] = [];

  const latest = await findLatestCommit(inputs.registry, repository, values[COMMIT_SETTING]).catch((error: unknown) => {
    problems.push(`could not check docker-stacks' latest (${repository}): ${reason(error)}`);
    return null;
  });
  const releases = await inputs.gpuJupyterTags(values.GPU_JUPYTER_REPO).then(releasesOf, (error: unknown) => {
    problems.push(`could not check gpu-jupyter's releases (${values.GPU_JUPYTER_REPO}): ${reason(error)}`);
    return null;
  });
  if (!latest || !releases) return { status: 'failed', problems };

  const oldEntry = inputs.lock.upstreams[CPU_UPSTREAM_KEY];
  const oldReference = values.UPSTREAM_CONTAINER_CPU;
  const old: ImageState = { commit: values[COMMIT_SETTING], reference: oldReference, digest: oldEntry?.reference === oldReference ? oldEntry.digest : null };
  const moved = latest.commit !== old.commit;
  const next: ImageState = { commit: latest.commit, reference: `${repository}:${latest.commit}`, digest: latest.digest };
  const gpu = releaseReport(releases, values.GPU_JUPYTER_HEAD_COMMIT);
  const rebuild = decideRebuild({ current: values[REBUILD_DATE_SETTING] ?? '', today: inputs.now.toISOString().slice(0, 10), scans: inputs.scans, pins: inputs.pins, maxAgeDays: inputs.maxAgeDays });
  const summary: UpdateSummary = {
    upstream: { old, new: next, moved },
    rebuild: { old: values[REBUILD_DATE_SETTING] ?? '', new: rebuild.next, reasons: rebuild.reasons, pinsToBump: rebuild.pinsToBump },
    gpuJupyter: { ...gpu, line: formatReleaseReport(gpu, values.GPU_JUPYTER_HEAD_COMMIT) },
  };

  if (moved) {
    const failure = await inputs.verifyStreams(latest.commit);
    if (failure) return { status: 'failed', problems: [`the gpu stream fails on docker-stacks ${latest.commit}, so no pin moves: ${failure}`], summary };
  }

  let settingsText = inputs.settingsText;
  if (moved) settingsText = withSettingValue(settingsText, COMMIT_SETTING, latest.commit, inputs.settingsFile);
  if (rebuild.next) settingsText = withSettingValue(settingsText, REBUILD_DATE_SETTING, rebuild.next, inputs.settingsFile);
  const refreshed = applyRefresh(inputs.lock, [{ key: CPU_UPSTREAM_KEY, reference: next.reference }], [{ key: CPU_UPSTREAM_KEY, digest: latest.digest }], inputs.now.toISOString());
  if (settingsText === inputs.settingsText && !refreshed.changed) return { status: 'up-to-date', summary };
  return { status: 'changed', summary, settingsText, lockText: formatUpstreamLock(refreshed.lock) };
}
