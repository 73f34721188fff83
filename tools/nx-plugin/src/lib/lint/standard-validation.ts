import { validate, ValidationCode } from 'dockerfile-utils';
import { instructionAt, type ParsedDockerfile } from '../dockerfile/parse-dockerfile';
import type { Finding } from './types';

/** Prefix of the ids of dockerfile-utils' own diagnostics, e.g. `dockerfile-utils/EMPTY_CONTINUATION_LINE`. */
export const STANDARD_PREFIX = 'dockerfile-utils/';

/** The id of a dockerfile-utils diagnostic code (its ValidationCode name). */
export function standardRuleId(code: unknown): string {
  const name = typeof code === 'number' ? ValidationCode[code] : undefined;
  return `${STANDARD_PREFIX}${name ?? String(code)}`;
}

/** Every ValidationCode name, for recognising waivers of standard checks. */
export const STANDARD_RULE_IDS: readonly string[] = Object.keys(ValidationCode)
  .filter((key) => Number.isNaN(Number(key)))
  .map((name) => `${STANDARD_PREFIX}${name}`);

/** dockerfile-utils' standard validation (errors and warnings), as findings with its own ids. */
export function standardFindings(dockerfile: ParsedDockerfile): Finding[] {
  return validate(dockerfile.text).map((diagnostic) => {
    const line = diagnostic.range.start.line + 1;
    return {
      rule: standardRuleId(diagnostic.code),
      line,
      instructionLine: instructionAt(dockerfile, line)?.line ?? line,
      message: (typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value).replace(/\.$/, ''),
      fix: 'see the dockerfile-utils message; this is what the Docker builder would reject or warn about',
    };
  });
}
