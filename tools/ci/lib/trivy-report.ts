/**
 * Reads a trivy JSON report (`trivy image --format json`, after the reviewed
 * .trivyignore.yaml was applied) into what the nightly needs: counts per
 * severity for the summary table, and the CRITICAL findings that fail the job.
 * Pure; the report's shape is trivy's schema 2.
 */
import { CiError } from './ci-error';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  id: string;
  severity: Severity;
  pkg: string;
  installed: string;
  fixed: string;
  target: string;
}

interface TrivyReport {
  SchemaVersion?: number;
  Results?: Array<{
    Target?: string;
    Vulnerabilities?: Array<{ VulnerabilityID?: string; Severity?: string; PkgName?: string; InstalledVersion?: string; FixedVersion?: string }> | null;
  }> | null;
}

export function findings(text: string, file: string): Finding[] {
  let report: TrivyReport;
  try {
    report = JSON.parse(text) as TrivyReport;
  } catch {
    throw new CiError(`${file} is not a trivy JSON report: run trivy with --format json --output ${file}`);
  }
  if (report.SchemaVersion !== 2) throw new CiError(`${file}: trivy report schema ${report.SchemaVersion ?? '(none)'} is not 2: update tools/ci/lib/trivy-report.ts for it`);
  return (report.Results ?? []).flatMap((result) =>
    (result.Vulnerabilities ?? []).map((v) => ({
      id: v.VulnerabilityID ?? '?',
      severity: (SEVERITIES as readonly string[]).includes(v.Severity ?? '') ? (v.Severity as Severity) : 'UNKNOWN',
      pkg: v.PkgName ?? '?',
      installed: v.InstalledVersion ?? '',
      fixed: v.FixedVersion ?? '',
      target: result.Target ?? '',
    })),
  );
}

export function countBySeverity(list: Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of list) counts[finding.severity]++;
  return counts;
}

/** The job summary of one image: a row of counts, then the CRITICAL findings that fail it. */
export function scanSummary(task: string, image: string, list: Finding[]): string {
  const counts = countBySeverity(list);
  const critical = list.filter((f) => f.severity === 'CRITICAL');
  const lines = [
    `### Scan of \`${task}\``,
    '',
    `\`${image}\``,
    '',
    `| ${SEVERITIES.join(' | ')} |`,
    `| ${SEVERITIES.map(() => '---').join(' | ')} |`,
    `| ${SEVERITIES.map((s) => counts[s]).join(' | ')} |`,
  ];
  if (critical.length > 0) {
    lines.push('', 'CRITICAL, not in `.trivyignore.yaml` (fix, or add a reviewed entry with an expiry):', '', '| id | package | installed | fixed in |', '| --- | --- | --- | --- |');
    lines.push(...critical.map((f) => `| ${f.id} | ${f.pkg} | ${f.installed} | ${f.fixed || '(no fix yet)'} |`));
  }
  return lines.join('\n');
}
