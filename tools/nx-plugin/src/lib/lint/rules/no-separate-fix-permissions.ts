import type { LintRule } from '../types';
import { programOf, splitCommands } from '../shell';

const ID = 'no-separate-fix-permissions';

export const noSeparateFixPermissions: LintRule = {
  id: ID,
  description: 'No RUN that only runs fix-permissions: it copies every touched file into a new layer and doubles the image size.',
  check({ dockerfile }) {
    return dockerfile.instructions
      .filter((i) => i.keyword === 'RUN')
      .filter((run) => {
        const commands = splitCommands(run.args);
        return commands.length > 0 && commands.every((c) => programOf(c) === 'fix-permissions');
      })
      .map((run) => ({
        rule: ID,
        line: run.line,
        instructionLine: run.line,
        message: 'RUN only runs fix-permissions, which copies every file it touches into a new layer and doubles their size',
        fix: 'delete this RUN and end the RUN that installed the files with `&& fix-permissions "${CONDA_DIR}" && fix-permissions "/home/${NB_USER}"`',
      }));
  },
};
