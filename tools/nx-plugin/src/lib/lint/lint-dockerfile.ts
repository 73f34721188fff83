import { parseDockerfile } from '../dockerfile/parse-dockerfile';
import { HOUSE_RULES } from './rules';
import { copySourceExists } from './rules/copy-source-exists';
import { STANDARD_RULE_IDS, standardFindings } from './standard-validation';
import type { BuildContextFiles, Finding } from './types';
import { applyWaivers, parseWaivers, type WaivedFinding } from './waivers';

export interface LintOptions {
  /** Rule ids to skip (house rules or dockerfile-utils/<CODE>). */
  disabledRules?: readonly string[];
  /** The build context; without it copy-source-exists is skipped. */
  context?: BuildContextFiles;
}

export interface LintResult {
  findings: Finding[];
  waived: WaivedFinding[];
}

/** Every rule id a waiver or `disabledRules` may name. */
export const KNOWN_RULE_IDS: readonly string[] = [...HOUSE_RULES.map((r) => r.id), ...STANDARD_RULE_IDS];

export function isKnownRule(id: string): boolean {
  return KNOWN_RULE_IDS.includes(id);
}

/** Lints Dockerfile text: dockerfile-utils' validation plus the house rules, then the waivers. Pure. */
export function lintDockerfile(text: string, options: LintOptions = {}): LintResult {
  const disabled = new Set(options.disabledRules ?? []);
  const dockerfile = parseDockerfile(text);
  const findings = [
    ...standardFindings(dockerfile),
    ...HOUSE_RULES.filter((rule) => !disabled.has(rule.id)).flatMap((rule) => rule.check({ dockerfile, context: options.context })),
  ].filter((finding) => !disabled.has(finding.rule));
  return applyWaivers(findings, parseWaivers(dockerfile), isKnownRule, disabled);
}

/** What lint finds that a plan reports: what it must stop on, and what lint alone fails on. */
export interface PlanFindings {
  /**
   * About the build context (a COPY source that is missing or excluded by
   * .dockerignore): the engine would fail on it only after the parents are built.
   */
  refused: Finding[];
  /** Every other finding of the image's lint target (house rules, waivers), after its waivers and disabledRules. */
  warned: Finding[];
}

export function planFindings(text: string, context: BuildContextFiles, disabledRules: readonly string[] = []): PlanFindings {
  const { findings } = lintDockerfile(text, { context, disabledRules });
  return {
    refused: findings.filter((finding) => finding.rule === copySourceExists.id),
    warned: findings.filter((finding) => finding.rule !== copySourceExists.id),
  };
}
