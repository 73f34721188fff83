import type { ParsedDockerfile } from '../dockerfile/parse-dockerfile';
import type { Finding } from './types';

/** `# lint-ignore RULE-ID[, RULE-ID...]: reason` on the comment line(s) directly above an instruction. */
export interface Waiver {
  /** 1-based line of the comment. */
  line: number;
  rules: string[];
  reason: string;
  /** 1-based first line of the instruction it covers, or null if none directly follows. */
  instructionLine: number | null;
}

export const WAIVER_RULES = {
  reason: 'lint-ignore-reason',
  unknownRule: 'lint-ignore-unknown-rule',
  misplaced: 'lint-ignore-misplaced',
  unused: 'lint-ignore-unused',
} as const;

const WAIVER = /^lint-ignore\b\s*([^:]*?)\s*(?::\s*(.*))?$/;

/**
 * The waiver comments of a file. A waiver covers the instruction that
 * directly follows its comment block (other comment lines may sit between,
 * blank lines may not).
 */
export function parseWaivers(dockerfile: ParsedDockerfile): Waiver[] {
  const commentLines = new Set(dockerfile.comments.map((c) => c.line));
  return dockerfile.comments.flatMap((comment) => {
    const match = WAIVER.exec(comment.text);
    if (!match) return [];
    let next = comment.line + 1;
    while (commentLines.has(next)) next++;
    const instruction = dockerfile.instructions.find((i) => i.line === next);
    return [
      {
        line: comment.line,
        rules: match[1].split(/[\s,]+/).filter(Boolean),
        reason: (match[2] ?? '').trim(),
        instructionLine: instruction ? instruction.line : null,
      },
    ];
  });
}

export interface WaivedFinding {
  finding: Finding;
  waiver: Waiver;
}

export interface WaiverResult {
  /** Findings left after waivers, plus the problems of the waivers themselves. */
  findings: Finding[];
  waived: WaivedFinding[];
}

/**
 * Applies waivers to findings. A waiver without a reason, naming an unknown
 * rule, not directly above an instruction, or waiving nothing is itself a
 * finding (and these cannot be waived).
 */
export function applyWaivers(
  findings: Finding[],
  waivers: Waiver[],
  isKnownRule: (id: string) => boolean,
  disabledRules: ReadonlySet<string> = new Set(),
): WaiverResult {
  const problems: Finding[] = [];
  const valid: Waiver[] = [];
  for (const waiver of waivers) {
    const at = { line: waiver.line, instructionLine: waiver.line };
    if (waiver.rules.length === 0) {
      problems.push({ ...at, rule: WAIVER_RULES.unknownRule, message: 'lint-ignore names no rule', fix: 'write `# lint-ignore RULE-ID: reason`' });
      continue;
    }
    const unknown = waiver.rules.filter((id) => !isKnownRule(id));
    if (unknown.length) {
      problems.push({ ...at, rule: WAIVER_RULES.unknownRule, message: `lint-ignore names unknown rule ${unknown.join(', ')}`, fix: 'use the rule id printed with the finding' });
      continue;
    }
    if (!waiver.reason) {
      problems.push({
        ...at,
        rule: WAIVER_RULES.reason,
        message: `lint-ignore ${waiver.rules.join(', ')} gives no reason, so it is not applied`,
        fix: `write why the line is intentionally so: \`# lint-ignore ${waiver.rules.join(', ')}: <reason>\``,
      });
      continue;
    }
    if (waiver.instructionLine === null) {
      problems.push({ ...at, rule: WAIVER_RULES.misplaced, message: 'lint-ignore is not directly above an instruction', fix: 'put the waiver on the comment line(s) directly above the instruction it waives' });
      continue;
    }
    valid.push(waiver);
  }
  const waived: WaivedFinding[] = [];
  const used = new Set<Waiver>();
  const remaining = findings.filter((finding) => {
    const waiver = valid.find((w) => w.instructionLine === finding.instructionLine && w.rules.includes(finding.rule));
    if (!waiver) return true;
    waived.push({ finding, waiver });
    used.add(waiver);
    return false;
  });
  for (const waiver of valid) {
    // A waiver of a rule that is switched off for this target waives nothing, and that is expected.
    if (!used.has(waiver) && !waiver.rules.every((id) => disabledRules.has(id))) {
      problems.push({
        line: waiver.line,
        instructionLine: waiver.line,
        rule: WAIVER_RULES.unused,
        message: `lint-ignore ${waiver.rules.join(', ')} waives nothing on the instruction below it`,
        fix: 'remove the stale waiver',
      });
    }
  }
  return { findings: [...remaining, ...problems].sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule)), waived };
}
