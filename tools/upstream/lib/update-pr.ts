import { packageLines } from '../../ci/lib/inspect-summary';
import { countBySeverity, SEVERITIES, type Finding } from '../../ci/lib/trivy-report';
import type { PackageLists } from '@kubeflow-images/plugin-lib/inspect/packages';
import type { UpdateSummary } from './upstream-update';

export interface CveChange {
  fixed: Finding[];
  introduced: Finding[];
}

const key = (finding: Finding) => `${finding.id}\u0000${finding.pkg}\u0000${finding.target}`;

/** Findings of the old upstream image the new one no longer has (fixed), and the new one's that the old did not (introduced). */
export function cveChange(before: Finding[], after: Finding[]): CveChange {
  const old = new Set(before.map(key));
  const now = new Set(after.map(key));
  return { fixed: before.filter((finding) => !now.has(key(finding))), introduced: after.filter((finding) => !old.has(key(finding))) };
}

const short = (digest: string | null) => (digest ? `\`${digest.slice(0, 19)}…\`` : '(not locked)');

export interface UpdatePrInputs {
  summary: UpdateSummary;
  /** The upstream images' package lists, when the commit moved and both could be listed. */
  packages: { old: PackageLists; new: PackageLists } | null;
  cves: CveChange | null;
}

/** The pull request's title: what moved. */
export function updatePrTitle(summary: UpdateSummary): string {
  const parts = [];
  if (summary.upstream.moved) parts.push(`docker-stacks ${summary.upstream.old.commit} → ${summary.upstream.new.commit}`);
  if (summary.rebuild.new) parts.push(`rebuild our layers (${summary.rebuild.new})`);
  if (parts.length === 0) parts.push('lock the docker-stacks digest');
  return `Upstream update: ${parts.join(', ')}`;
}

/** The pull request's body: old and new pin, package and CVE differences, the rebuild and what a person must still do. */
export function updatePrBody({ summary, packages, cves }: UpdatePrInputs): string {
  const { upstream, rebuild } = summary;
  const lines = [
    '## docker-stacks',
    '',
    '| | commit | image | digest |',
    '|---|---|---|---|',
    `| old | \`${upstream.old.commit}\` | \`${upstream.old.reference}\` | ${short(upstream.old.digest)} |`,
    `| new | \`${upstream.new.commit}\` | \`${upstream.new.reference}\` | ${short(upstream.new.digest)} |`,
    '',
    upstream.moved
      ? `\`latest\` of the upstream is commit \`${upstream.new.commit}\` now (\`${upstream.new.digest}\`); both streams move to it, and the gpu stream was generated from it and passed the stream-parity check.`
      : `The commit did not move; its digest is now locked in upstream-lock.json.`,
  ];
  if (upstream.moved) {
    lines.push('', '### Packages (old → new upstream image)', '');
    lines.push(...(packages ? packageLines(packages.new, packages.old) : ['- not listed (the package step did not run or could not pull the images)']));
    lines.push('', '### Vulnerabilities (trivy, old → new upstream image)', '');
    if (cves) {
      const fixed = countBySeverity(cves.fixed);
      const introduced = countBySeverity(cves.introduced);
      lines.push(`| | ${SEVERITIES.join(' | ')} |`, `|---|${SEVERITIES.map(() => '---:').join('|')}|`);
      lines.push(`| fixed | ${SEVERITIES.map((s) => fixed[s]).join(' | ')} |`, `| introduced | ${SEVERITIES.map((s) => introduced[s]).join(' | ')} |`);
      const critical = cves.introduced.filter((finding) => finding.severity === 'CRITICAL');
      if (critical.length > 0) lines.push('', `Introduced CRITICAL: ${critical.map((f) => `${f.id} (${f.pkg} ${f.installed})`).join(', ')}`);
    } else {
      lines.push('- not scanned');
    }
  }
  lines.push('', '## Our own layers', '');
  lines.push(rebuild.new ? `IMAGE_REBUILD_DATE ${rebuild.old || '(unset)'} → ${rebuild.new}: ${rebuild.reasons.join('; ')}. Every image of ours is rebuilt once.` : `IMAGE_REBUILD_DATE stays ${rebuild.old || '(unset)'}.`);
  if (rebuild.pinsToBump.length > 0) {
    lines.push('', 'Pins to bump (a rebuild cannot fix these: the Dockerfile holds the vulnerable version):', '', '| package | pinned in | finding | installed | fixed in |', '|---|---|---|---|---|');
    const seen = new Set<string>();
    for (const held of rebuild.pinsToBump) {
      const row = `| ${held.pin.name}=${held.pin.version} | ${held.pin.file} | ${held.id} (${held.severity}) | ${held.installed} | ${held.fixed} |`;
      if (!seen.has(row)) lines.push(row);
      seen.add(row);
    }
  }
  lines.push('', '## gpu-jupyter', '', summary.gpuJupyter.line, '', 'This pull request builds and tests every image on the new pins; merging it rebuilds, tests and promotes them.', '');
  return lines.join('\n');
}
