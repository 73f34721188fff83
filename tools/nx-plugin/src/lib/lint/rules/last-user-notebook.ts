import type { LintRule } from '../types';

/**
 * $NB_USER or jovyan; docker-stacks' own Dockerfiles (and so gpu-upstream's
 * generated one) end with `USER ${NB_UID}`, the same user by number (1000).
 */
const NOTEBOOK_USER = /^(\$NB_USER|\$\{NB_USER\}|jovyan|\$NB_UID|\$\{NB_UID\}|1000)(:.*)?$/;

const ID = 'last-user-notebook';

export const lastUserNotebook: LintRule = {
  id: ID,
  description: 'The last USER is $NB_USER (or jovyan, or ${NB_UID} as docker-stacks writes it): notebooks must not run as root.',
  check({ dockerfile }) {
    const users = dockerfile.instructions.filter((i) => i.keyword === 'USER');
    const last = users[users.length - 1];
    const fix = 'end the Dockerfile with `USER $NB_USER`';
    if (!last) {
      const end = dockerfile.instructions[dockerfile.instructions.length - 1];
      const line = end?.line ?? 1;
      return [{ rule: ID, line, instructionLine: line, message: 'no USER instruction, so the image runs as its parent\'s last user', fix }];
    }
    if (NOTEBOOK_USER.test(last.args.trim())) return [];
    return [
      {
        rule: ID,
        line: last.line,
        instructionLine: last.line,
        message: `the last USER is ${last.args.trim() || '(empty)'}, so the notebook would not run as the notebook user`,
        fix,
      },
    ];
  },
};
