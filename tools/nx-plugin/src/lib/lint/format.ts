import type { Finding } from './types';
import type { WaivedFinding } from './waivers';

/** `<file>:<line> <RULE-ID> <what is wrong>: <fix>` */
export function formatFinding(file: string, finding: Finding): string {
  return `${file}:${finding.line} ${finding.rule} ${finding.message}: ${finding.fix}`;
}

/** `<file>:<line> waived <RULE-ID> (<reason>, lint-ignore on line N)` */
export function formatWaived(file: string, { finding, waiver }: WaivedFinding): string {
  return `${file}:${finding.line} waived ${finding.rule} (${waiver.reason}; lint-ignore on line ${waiver.line})`;
}

export function formatSummary(file: string, findings: number, waived: number): string {
  const waivedText = waived ? `, ${waived} waived` : '';
  return findings ? `${file}: ${findings} problem${findings === 1 ? '' : 's'}${waivedText}` : `${file}: no problems${waivedText}`;
}
