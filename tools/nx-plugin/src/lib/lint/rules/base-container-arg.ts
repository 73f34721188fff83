import type { LintRule } from '../types';

const USES_BASE_CONTAINER = /\$\{?BASE_CONTAINER\}?/;

const ID = 'base-container-arg';

export const baseContainerArg: LintRule = {
  id: ID,
  description: 'The parent comes in as a build argument: ARG BASE_CONTAINER before FROM $BASE_CONTAINER.',
  check({ dockerfile }) {
    const froms = dockerfile.instructions.filter((i) => i.keyword === 'FROM');
    const firstFrom = froms[0];
    if (!firstFrom) return [];
    const declared = dockerfile.instructions.some(
      (i) => i.keyword === 'ARG' && i.line < firstFrom.line && /^BASE_CONTAINER(=|$)/.test(i.args.trim()),
    );
    const using = froms.filter((from) => USES_BASE_CONTAINER.test(from.args));
    if (using.length === 0) {
      return [
        {
          rule: ID,
          line: firstFrom.line,
          instructionLine: firstFrom.line,
          message: `FROM ${firstFrom.args} does not take the parent from BASE_CONTAINER, so the same file cannot build both streams`,
          fix: 'start the file with `ARG BASE_CONTAINER` and `FROM $BASE_CONTAINER`; the build system passes the parent',
        },
      ];
    }
    if (declared) return [];
    return using.map((from) => ({
      rule: ID,
      line: from.line,
      instructionLine: from.line,
      message: 'FROM uses $BASE_CONTAINER but no `ARG BASE_CONTAINER` is declared before the first FROM',
      fix: 'add `ARG BASE_CONTAINER` above the first FROM',
    }));
  },
};
