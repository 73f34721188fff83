import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { readChecksFile } from '../../lib/container-test/checks-file';
import { runExecutorTask } from '../../lib/executor-task';
import { logger } from '../../lib/logger';
import { readBuildContextFiles } from '../../lib/lint/build-context-files';
import { formatFinding, formatSummary, formatWaived } from '../../lib/lint/format';
import { isKnownRule, lintDockerfile } from '../../lib/lint/lint-dockerfile';
import type { LintExecutorOptions } from './schema';

export default async function lintExecutor(options: LintExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  // An unreadable file or a parser crash is one line naming the task, not a stack trace.
  return runExecutorTask(context, { executor: 'lint', target: 'lint' }, ({ project }) => lintProject(project, options, context));
}

function lintProject(project: string, options: LintExecutorOptions, context: ExecutorContext): { success: boolean } {
  const projectRoot = context.projectsConfigurations?.projects[project]?.root ?? '.';
  const dockerfile = options.dockerfile ?? join(projectRoot, 'Dockerfile');
  const contextDir = options.context ?? dirname(dockerfile);
  const absolute = join(context.root, dockerfile);
  const shown = relative(context.root, absolute) || dockerfile;

  // The image's container checks are read only when it is tested, after its build: lint finds a broken file first.
  readChecksFile(context.root, projectRoot);
  const unknown = (options.disabledRules ?? []).filter((id) => !isKnownRule(id));
  if (unknown.length) {
    logger.error(`${project}:lint: unknown rule ${unknown.join(', ')} in "disabledRules": use the ids printed with findings`);
    return { success: false };
  }
  if (!existsSync(absolute)) {
    if (options.allowMissing) {
      logger.info(`${project}:lint: ${shown} has not been generated yet, nothing to lint${options.missingHint ? `: ${options.missingHint}` : ''}`);
      return { success: true };
    }
    logger.error(`${project}:lint: ${shown} not found: create it or set the target's "dockerfile" option`);
    return { success: false };
  }
  const contextAbsolute = join(context.root, contextDir);
  if (!existsSync(contextAbsolute) || !statSync(contextAbsolute).isDirectory()) {
    logger.error(`${project}:lint: build context ${contextDir} does not exist: fix the target's "context" option`);
    return { success: false };
  }

  const { findings, waived } = lintDockerfile(readFileSync(absolute, 'utf8'), {
    disabledRules: options.disabledRules ?? [],
    context: readBuildContextFiles(contextAbsolute),
  });
  for (const item of waived) logger.info(formatWaived(shown, item));
  for (const finding of findings) logger.error(formatFinding(shown, finding));
  const disabled = options.disabledRules?.length ? ` (rules off for this target: ${options.disabledRules.join(', ')})` : '';
  const summary = formatSummary(shown, findings.length, waived.length) + disabled;
  if (findings.length) logger.error(summary);
  else logger.info(summary);
  return { success: findings.length === 0 };
}
