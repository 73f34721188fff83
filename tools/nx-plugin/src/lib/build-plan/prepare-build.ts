import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { BuildConfigurationError } from '../errors';
import { hashBuildContext, hashDockerfile } from '../content-tag/build-context';
import { parentChain, resolveParent, type ParentSource } from '../hierarchy/resolve-parent';
import { buildTarget, toImageGraph, type Stream } from '../hierarchy/image-graph';
import { readRecord } from '../records/build-record';
import { loadBuildSettings, optionalSetting, type BuildSettings } from '../settings/build-settings';
import { planImageBuild, type ImageBuildPlan } from './image-build-plan';

export interface PrepareOptions {
  stream: Stream;
  imageName?: string;
  dockerfile?: string;
  context?: string;
  registry?: string;
  buildArgs?: Record<string, string>;
  plan?: boolean;
}

export interface PreparedBuild {
  plan: ImageBuildPlan;
  settings: BuildSettings;
  registry: string;
  parentSource: ParentSource;
}

/** Reads the workspace (settings, graph, parent record, files) and turns it into a build plan. */
export function prepareBuild(options: PrepareOptions, context: ExecutorContext): PreparedBuild {
  const project = context.projectName;
  if (!project || !context.projectGraph) throw new Error('the build executor needs a project and the project graph');
  const { stream } = options;
  const settings = loadBuildSettings(context.root);
  const graph = toImageGraph(context.projectGraph);
  const node = graph[project];
  if (!node.targets.includes(buildTarget(stream))) {
    throw new BuildConfigurationError(`${project} has no ${buildTarget(stream)} target but was asked to build stream ${stream}`);
  }
  parentChain(graph, project, stream, settings);
  const parentSource = resolveParent(graph, project, stream, settings);
  const imageName = options.imageName ?? node.imageName;
  if (!imageName) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project} has no image name: set "metadata": { "imageName": "<name>" } (the published name without the -${stream} suffix)`,
    );
  }
  const dockerfile = join(context.root, options.dockerfile ?? join(node.root, 'Dockerfile'));
  const buildContext = join(context.root, options.context ?? node.root);
  const registry = options.registry ?? optionalSetting(settings, 'IMAGE_REGISTRY');
  const plan = planImageBuild({
    project,
    stream,
    imageName,
    registry,
    dockerfile,
    dockerfileSha256: hashDockerfile(dockerfile, project),
    context: buildContext,
    contextFiles: hashBuildContext(buildContext),
    parentSource,
    parentRecord: parentSource.kind === 'project' ? readRecord(context.root, parentSource.project, stream) : null,
    buildArgs: options.buildArgs ?? {},
    planOnly: !!options.plan,
  });
  return { plan, settings, registry, parentSource };
}
