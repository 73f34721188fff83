/** A release of gpu-jupyter: a tag whose name carries vMAJOR.MINOR[.PATCH] (e.g. v1.10_cuda-12.9_ubuntu-24.04). */
export interface Release {
  tag: string;
  commit: string;
  version: number[];
}

export interface ReleaseReport {
  /** The release the pinned commit is, or null when it is no release. */
  pinned: Release | null;
  /** The newest releases (one version, often several CUDA variants), when newer than the pin's. */
  newer: Release[];
}

const VERSION = /(?:^|[^0-9A-Za-z])v(\d+)\.(\d+)(?:\.(\d+))?(?![0-9])/;

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The releases in `git ls-remote --tags` output; an annotated tag counts at the commit it points to (its ^{} line). */
export function releasesOf(lsRemote: string): Release[] {
  const commits = new Map<string, string>();
  for (const line of lsRemote.split('\n')) {
    const match = /^([0-9a-f]{40})\s+refs\/tags\/(.+?)(\^\{\})?$/.exec(line.trim());
    if (!match) continue;
    const [, commit, tag, peeled] = match;
    if (peeled || !commits.has(tag)) commits.set(tag, commit);
  }
  return [...commits].flatMap(([tag, commit]) => {
    const version = VERSION.exec(tag);
    return version ? [{ tag, commit, version: version.slice(1).filter((part) => part !== undefined).map(Number) }] : [];
  });
}

/** Whether gpu-jupyter has a release newer than the pinned commit (the pin is the release it is tagged as). */
export function releaseReport(releases: Release[], pinnedCommit: string): ReleaseReport {
  const pinnedReleases = releases.filter((release) => release.commit.startsWith(pinnedCommit.toLowerCase()));
  const pinned = pinnedReleases.sort((a, b) => compareVersions(b.version, a.version))[0] ?? null;
  const newest = releases.reduce<number[] | null>((best, release) => (!best || compareVersions(release.version, best) > 0 ? release.version : best), null);
  if (!newest || (pinned && compareVersions(newest, pinned.version) <= 0)) return { pinned, newer: [] };
  return { pinned, newer: releases.filter((release) => compareVersions(release.version, newest) === 0).sort((a, b) => a.tag.localeCompare(b.tag)) };
}

export function formatReleaseReport(report: ReleaseReport, pinnedCommit: string): string {
  const pin = report.pinned ? `${report.pinned.tag} (${pinnedCommit.slice(0, 12)})` : `${pinnedCommit.slice(0, 12)}, which is no release tag`;
  if (report.newer.length === 0) return `gpu-jupyter: GPU_JUPYTER_HEAD_COMMIT is ${pin}, the newest release`;
  const newer = report.newer.map((release) => `${release.tag} (${release.commit.slice(0, 12)})`).join(', ');
  return `gpu-jupyter: a newer release than GPU_JUPYTER_HEAD_COMMIT ${pin}: ${newer}; move GPU_JUPYTER_HEAD_COMMIT by hand after checking its CUDA and Ubuntu`;
}
