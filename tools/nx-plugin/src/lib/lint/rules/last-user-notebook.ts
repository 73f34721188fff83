import type { LintRule } from '../types';

/**
 * The notebook user by number, as docker-stacks' own Dockerfiles end: a
 * named user ($NB_USER, jovyan) makes Kubernetes refuse the pod under
 * `runAsNonRoot: true` unless the pod also sets runAsUser.
 */
const NUMERIC_NOTEBOOK_USER = /^(\$NB_UID|\$\{NB_UID\}|1000)(:(\$NB_GID|\$\{NB_GID\}|\d+))?$/;
const NAMED_NOTEBOOK_USER = /^(\$NB_USER|\$\{NB_USER\}|jovyan)(:.*)?$/;

const ID = 'last-user-notebook';
const FIX = 'end the Dockerfile with `USER ${NB_UID}` (or waive with `# lint-ignore last-user-notebook: <why>`)';

export const lastUserNotebook: LintRule = {
  id: ID,
  description: 'The last USER is the notebook user by number, ${NB_UID} (or 1000): Kubernetes runAsNonRoot refuses a named user, and notebooks must not run as root.',
  check({ dockerfile }) {
    const users = dockerfile.instructions.filter((i) => i.keyword === 'USER');
    const last = users[users.length - 1];
    if (!last) {
      const end = dockerfile.instructions[dockerfile.instructions.length - 1];
      const line = end?.line ?? 1;
      return [{ rule: ID, line, instructionLine: line, message: "no USER instruction, so the image runs as its parent's last user", fix: FIX }];
    }
    const user = last.args.trim();
    if (NUMERIC_NOTEBOOK_USER.test(user)) return [];
    const message = NAMED_NOTEBOOK_USER.test(user)
      ? `the last USER is ${user}, a name: Kubernetes' runAsNonRoot cannot verify it and refuses the pod unless runAsUser is set`
      : `the last USER is ${user || '(empty)'}, so the notebook would not run as the notebook user`;
    return [{ rule: ID, line: last.line, instructionLine: last.line, message, fix: FIX }];
  },
};
