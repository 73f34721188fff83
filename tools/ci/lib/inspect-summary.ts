import { diffPackages, PACKAGE_MANAGERS, type PackageLists } from '@kubeflow-images/plugin-lib/inspect/packages';
import { formatBytes, type InspectReport } from '@kubeflow-images/plugin-lib/inspect/report';

/** What the summary compares against: the image published as `latest` (size and packages). */
export interface PublishedImage {
  image: string;
  sizeBytes: number;
  packages: PackageLists;
}

export interface ImageComparison {
  current: InspectReport;
  /** null when nothing is published as latest yet (a new image). */
  latest: PublishedImage | null;
}

const MAX_LISTED = 30;

function signed(bytes: number): string {
  return `${bytes > 0 ? '+' : bytes < 0 ? '−' : '±'}${formatBytes(Math.abs(bytes))}`;
}

/** Markdown list of the packages added, removed and changed from `latest` to `current`, per manager. */
export function packageLines(current: PackageLists, latest: PackageLists): string[] {
  const lines: string[] = [];
  for (const manager of PACKAGE_MANAGERS) {
    const { added, removed, changed } = diffPackages(latest[manager], current[manager]);
    const items = [
      ...added.map((p) => `added \`${p.name}\` ${p.version}`),
      ...removed.map((p) => `removed \`${p.name}\` ${p.version}`),
      ...changed.map((p) => `\`${p.name}\` ${p.from} → ${p.to}`),
    ];
    if (items.length === 0) continue;
    const shown = items.slice(0, MAX_LISTED).map((item) => `  - ${item}`);
    if (items.length > MAX_LISTED) shown.push(`  - … and ${items.length - MAX_LISTED} more`);
    lines.push(`- **${manager}**: ${added.length} added, ${removed.length} removed, ${changed.length} changed`, ...shown);
  }
  return lines.length > 0 ? lines : ['- no package changes'];
}

/** The PR job summary: a table of size, size change and waste per image, then its package changes against latest. */
export function inspectSummaryMarkdown(comparisons: ImageComparison[]): string {
  if (comparisons.length === 0) return '## Image insight\n\nNo image was inspected: this change affects none.\n';
  const sorted = [...comparisons].sort((a, b) => `${a.current.project}-${a.current.stream}`.localeCompare(`${b.current.project}-${b.current.stream}`));
  const rows = sorted.map(({ current, latest }) => {
    const change = latest ? signed(current.sizeBytes - latest.sizeBytes) : 'new';
    return `| ${current.project} | ${current.stream} | ${formatBytes(current.sizeBytes)} | ${change} | ${formatBytes(current.wastedBytes)} |`;
  });
  const details = sorted.flatMap(({ current, latest }) => [
    '',
    `### ${current.project} (${current.stream})`,
    ...(current.wasted.length > 0
      ? [`Largest waste: ${current.wasted.slice(0, 3).map((w) => `\`${w.path}\` ${formatBytes(w.bytes)} (line ${w.dockerfileLine ?? '?'}: ${w.reason})`).join('; ')}`, '']
      : []),
    ...(latest ? [`Packages against \`${latest.image}\`:`, ...packageLines(current.packages, latest.packages)] : ['Nothing published as latest yet: no package comparison.']),
  ]);
  return ['## Image insight', '', '| image | stream | size | change vs latest | waste (own layers) |', '|---|---|---:|---:|---:|', ...rows, ...details, ''].join('\n');
}
