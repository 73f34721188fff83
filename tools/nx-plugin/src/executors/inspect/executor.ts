import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { BuildConfigurationError } from '../../lib/errors';
import { containerName } from '../../lib/image-runtime/container-args';
import { guardContainer } from '../../lib/engine/container-guard';
import { realCli } from '../../lib/engine/engine-cli';
import { inspectImage } from '../../lib/inspect/inspect-image';
import { formatLayerTable, gateFailure, inspectReportPath, writeInspectReport } from '../../lib/inspect/report';
import { runExecutorTask } from '../../lib/executor-task';
import { RegistryClient } from '../../lib/registry/registry-client';
import type { InspectExecutorOptions } from './schema';

const MIB = 1024 * 1024;

export default async function inspectExecutor(options: InspectExecutorOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { stream } = options;
  return runExecutorTask(context, { executor: 'inspect', target: `inspect-${stream}` }, async ({ project, name: task, record: recordOf }) => {
    const path = inspectReportPath(context.root, project, stream);
    // A failed inspect must not leave the previous image's report looking current.
    rmSync(path, { force: true });
    const limit = options.maxWasteMiB;
    if (!(limit >= 0)) throw new BuildConfigurationError(`option maxWasteMiB in the project.json of ${project} must be a number of MiB >= 0, not ${options.maxWasteMiB}`);
    const record = recordOf(stream);
    if (record.planned) {
      throw new BuildConfigurationError(`the build record of ${project} (${stream}) is a plan, nothing was built: run nx run ${project}:build-${stream} without --configuration=plan`);
    }
    const projectConfig = context.projectsConfigurations?.projects[project];
    const buildOptions = (projectConfig?.targets?.[`build-${stream}`]?.options ?? {}) as { dockerfile?: string };
    const dockerfile = buildOptions.dockerfile ?? join(projectConfig?.root ?? '', 'Dockerfile');
    if (!existsSync(join(context.root, dockerfile))) throw new BuildConfigurationError(`${dockerfile} not found: inspect maps the layers of ${project} to the Dockerfile it was built from`);
    const docker = realCli('docker');
    const report = await inspectImage(
      { project, stream, image: record.image, digest: record.digest, parent: record.parent, dockerfileText: readFileSync(join(context.root, dockerfile), 'utf8'), dockerfile },
      {
        podman: realCli('podman'),
        docker,
        registry: new RegistryClient(),
        containerName: containerName('inspect', project, stream, `${process.pid}-${randomBytes(3).toString('hex')}`),
        guard: (name) => guardContainer(docker, name, { stopSeconds: 0, onSignal: (signal) => logger.warn(`${task}: ${signal}: container ${name} is removed in the background`) }),
        log: (line) => logger.info(line),
      },
    );
    writeInspectReport(path, report);
    logger.info(formatLayerTable(report, dockerfile));
    logger.info(`report: ${path}`);
    const failure = gateFailure(report, limit * MIB, dockerfile);
    if (failure) {
      logger.error(`${task}: ${failure}`);
      return { success: false };
    }
    return { success: true };
  });
}
