import { REBUILD_DATE_SETTING } from '../../settings/build-settings';
import type { LintRule } from '../types';

const ID = 'rebuild-date-arg';
const LABEL = 'io.kubeflow-images.rebuild-date';
const CONSUMES = new RegExp(`^${LABEL.replace(/[.]/g, '\\.')}=["']?\\$\\{?${REBUILD_DATE_SETTING}\\}?["']?$`);
const FIX = `put \`ARG ${REBUILD_DATE_SETTING}\` and \`LABEL ${LABEL}="\${${REBUILD_DATE_SETTING}}"\` right after the final FROM, before any RUN, COPY or ADD`;

/**
 * Bumping the rebuild date must rebuild every layer we install: the build arg
 * is declared and used (as a label, which also shows the date on the image)
 * before the first step that installs anything, so no layer cache of any
 * engine can bring an older install back.
 */
export const rebuildDateArg: LintRule = {
  id: ID,
  description: `The rebuild date reaches every install step: \`ARG ${REBUILD_DATE_SETTING}\` and a LABEL ${LABEL} that uses it come after the final FROM and before the first RUN, COPY or ADD.`,
  check({ dockerfile }) {
    const froms = dockerfile.instructions.filter((i) => i.keyword === 'FROM');
    const final = froms[froms.length - 1];
    if (!final) return []; // base-container-arg reports a Dockerfile without FROM
    const stage = dockerfile.instructions.filter((i) => i.line > final.line);
    const firstStep = stage.find((i) => ['RUN', 'COPY', 'ADD'].includes(i.keyword));
    if (!firstStep) return []; // no layer of its own to rebuild
    const before = stage.filter((i) => i.line < firstStep.line);
    const arg = before.find((i) => i.keyword === 'ARG' && new RegExp(`^${REBUILD_DATE_SETTING}(=|$)`).test(i.args.trim()));
    const label = before.find((i) => i.keyword === 'LABEL' && i.args.trim().split(/\s+/).some((pair) => CONSUMES.test(pair)));
    if (arg && label && arg.line < label.line) return [];
    const line = firstStep.line;
    const missing = !arg ? `\`ARG ${REBUILD_DATE_SETTING}\`` : !label || label.line < arg.line ? `a LABEL ${LABEL} that uses it after the ARG` : '';
    return [
      {
        rule: ID,
        line,
        instructionLine: line,
        message: `${missing} is missing before the first install step, so a bump of ${REBUILD_DATE_SETTING} in build_settings.env would not rebuild this image's layers`,
        fix: FIX,
      },
    ];
  },
};
