import { finalStage } from '../../dockerfile/final-base';
import { parseDockerfile } from '../../dockerfile/parse-dockerfile';
import { BuildConfigurationError } from '../../errors';
import { formatFinding } from '../format';
import type { Finding, LintRule } from '../types';

const IS_BASE_CONTAINER = /^\$(?:BASE_CONTAINER|\{BASE_CONTAINER\})$/;

const ID = 'base-container-arg';
const FIX = 'start the file with `ARG BASE_CONTAINER` and `FROM $BASE_CONTAINER`; the build system passes the parent';

export const baseContainerArg: LintRule = {
  id: ID,
  description: 'The parent comes in as a build argument: the final stage starts FROM $BASE_CONTAINER, declared by ARG BASE_CONTAINER before the first FROM.',
  check({ dockerfile }) {
    const froms = dockerfile.ast.getFROMs();
    if (froms.length === 0) {
      return [{ rule: ID, line: 1, instructionLine: 1, message: 'the Dockerfile has no FROM instruction (is it empty?)', fix: FIX }];
    }
    const final = finalStage(froms, (written) => written);
    if (!IS_BASE_CONTAINER.test(final.image)) {
      return [
        {
          rule: ID,
          line: final.line,
          instructionLine: final.line,
          message: `the final stage builds FROM ${final.image || '(no image)'}, not $BASE_CONTAINER, so the same file cannot build both streams`,
          fix: FIX,
        },
      ];
    }
    const firstFromLine = froms[0].getRange().start.line + 1;
    const declared = dockerfile.instructions.some(
      (i) => i.keyword === 'ARG' && i.line < firstFromLine && /^BASE_CONTAINER(=|$)/.test(i.args.trim()),
    );
    if (declared) return [];
    return [
      {
        rule: ID,
        line: final.line,
        instructionLine: final.line,
        message: 'FROM uses $BASE_CONTAINER but no `ARG BASE_CONTAINER` is declared before the first FROM',
        fix: 'add `ARG BASE_CONTAINER` above the first FROM',
      },
    ];
  },
};

/**
 * The same rule as a precondition of a build (plan mode included): an image
 * whose Dockerfile ignores BASE_CONTAINER would be recorded on a parent it
 * does not build on. Waivers do not apply: no build may take that risk.
 */
export function assertBaseContainerContract(text: string, file: string): void {
  const [finding]: Finding[] = baseContainerArg.check({ dockerfile: parseDockerfile(text) });
  if (finding) throw new BuildConfigurationError(formatFinding(file, finding));
}
