import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { BuildConfigurationError } from '../errors';
import { hashBuildContext, hashDockerfile } from '../content-tag/build-context';
import { resolveParentChain, type ParentSource } from '../hierarchy/resolve-parent';
import { gpuUpstreamIdentity, identityKey, lockedCudaBase, type GpuUpstreamIdentity } from '../gpu-upstream/upstream-identity';
import { readUpstreamLock } from '../upstream-lock/lock-file';
import { lookupUpstream, unlockedError, unlockedWarning, type UpstreamLock } from '../upstream-lock/upstream-lock';
import { buildTarget, toImageGraph, type Stream } from '../hierarchy/image-graph';
import { checkBuildArgsDeclared } from '../dockerfile/declared-args';
import { formatFinding } from '../lint/format';
import { readBuildContextFiles } from '../lint/build-context-files';
import { planFindings } from '../lint/lint-dockerfile';
import { readChecksFile } from '../container-test/checks-file';
import { assertBaseContainerContract } from '../lint/rules/base-container-arg';
import { readRecord } from '../records/build-record';
import { checkImageName, checkRegistryPrefix } from '../registry/image-reference';
import { booleanSetting, loadBuildSettings, optionalSetting, settingsBuildArgs, type BuildSettings } from '../settings/build-settings';
import { checkPublishedNames } from '../images/image-names';
import { planImageBuild, type ImageBuildPlan } from './image-build-plan';
import { pushNeedsRegistry } from './realize-build';

export interface PrepareOptions {
  stream: Stream;
  imageName?: string;
  dockerfile?: string;
  context?: string;
  registry?: string;
  buildArgs?: Record<string, string>;
  plan?: boolean;
  push?: boolean;
  /** The context is generated from pins (gpu-upstream): see the build executor's schema. */
  generated?: boolean;
}

export interface PreparedBuild {
  plan: ImageBuildPlan;
  settings: BuildSettings;
  registry: string;
  lock: UpstreamLock;
  /** For a generated context: the identity the real build must find in generation.json. */
  generatedIdentity: GpuUpstreamIdentity | null;
  /** Said in plan mode instead of failing, e.g. an upstream without a locked digest. */
  warnings: string[];
  parentSource: ParentSource;
}

/**
 * An upstream pin as builds use it: name:tag@digest from upstream-lock.json.
 * Unlocked, plan mode goes on with the tag and a warning; a real build refuses.
 */
function lockPinnedParent(source: ParentSource, lock: UpstreamLock, target: string, planOnly: boolean, warnings: string[]): ParentSource {
  if (source.kind !== 'pinned') return source;
  const upstream = lookupUpstream(lock, source.settingKey, source.reference);
  if (upstream.locked) return { ...source, reference: upstream.pinned };
  if (!planOnly) throw unlockedError(upstream);
  warnings.push(unlockedWarning(target, upstream));
  return source;
}

/** The rules the project's lint target switches off, so a plan reports what its lint reports. */
function lintDisabledRules(context: ExecutorContext, project: string): string[] {
  const options = context.projectsConfigurations?.projects?.[project]?.targets?.lint?.options as { disabledRules?: unknown } | undefined;
  return Array.isArray(options?.disabledRules) ? options.disabledRules.filter((rule): rule is string => typeof rule === 'string') : [];
}

/** Reads the workspace (settings, graph, parent record, files) and turns it into a build plan. */
export function prepareBuild(options: PrepareOptions, context: ExecutorContext, settings: BuildSettings = loadBuildSettings(context.root)): PreparedBuild {
  const project = context.projectName;
  if (!project || !context.projectGraph) throw new Error('the build executor needs a project and the project graph');
  const { stream } = options;
  const graph = toImageGraph(context.projectGraph);
  const node = graph[project];
  if (!node.targets.includes(buildTarget(stream))) {
    throw new BuildConfigurationError(`${project} has no ${buildTarget(stream)} target but was asked to build stream ${stream}`);
  }
  // The whole chain, so a cycle or a missing root pin further up fails this build too; its own parent is the first link.
  const [own] = resolveParentChain(graph, project, stream, settings);
  const target = `${project}:${buildTarget(stream)}`;
  const lock = readUpstreamLock(context.root);
  const warnings: string[] = [];
  const parentSource = lockPinnedParent(own.parent, lock, target, !!options.plan, warnings);
  const imageName = options.imageName ?? node.imageName;
  if (!imageName) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project} has no image name: set "metadata": { "imageName": "<name>" } (the published name without the -${stream} suffix)`,
    );
  }
  checkImageName(
    options.imageName !== undefined ? `${project}:${buildTarget(stream)} option imageName` : `${node.root}/project.json: metadata.imageName`,
    imageName,
  );
  if (options.registry !== undefined) checkRegistryPrefix(`${project}:${buildTarget(stream)} option registry`, options.registry);
  const dockerfile = join(context.root, options.dockerfile ?? join(node.root, 'Dockerfile'));
  const buildContext = join(context.root, options.context ?? node.root);
  const shownContext = relative(context.root, buildContext) || '.';
  if (options.context !== undefined && !options.generated && (shownContext === '..' || shownContext.startsWith('../') || isAbsolute(shownContext))) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project}:${buildTarget(stream)} option context "${options.context}" is outside the workspace, where Nx cannot hash it: use a folder inside the workspace (by default the image's folder, ${node.root})`,
    );
  }
  const registry = options.registry ?? optionalSetting(settings, 'IMAGE_REGISTRY');
  checkPublishedNames(graph, registry);
  // Found by plan too: a push without a registry must not wait for the first real build to fail.
  if (!registry && (options.push ?? booleanSetting(settings, 'IMAGE_PUSH'))) throw pushNeedsRegistry(project);
  let generatedIdentity: GpuUpstreamIdentity | null = null;
  if (options.generated) {
    // The context may not exist yet: its identity is that of the pins it is generated from.
    const cuda = lockedCudaBase(lock);
    if (!cuda.locked) {
      if (!options.plan) throw unlockedError(cuda);
      warnings.push(unlockedWarning(target, cuda));
    }
    generatedIdentity = gpuUpstreamIdentity(settings, cuda);
  }
  const dockerfileSha256 = generatedIdentity ? '' : hashDockerfile(dockerfile, project);
  // An upstream's Dockerfile names its own base; every other image must build on the parent it is given.
  if (parentSource.kind !== 'own-dockerfile') assertBaseContainerContract(readFileSync(dockerfile, 'utf8'), relative(context.root, dockerfile));
  if (!generatedIdentity) {
    const shownDockerfile = relative(context.root, dockerfile);
    const { refused, warned } = planFindings(readFileSync(dockerfile, 'utf8'), readBuildContextFiles(buildContext), lintDisabledRules(context, project));
    if (refused.length) throw new BuildConfigurationError(refused.map((finding) => formatFinding(shownDockerfile, finding)).join('\n'));
    // What the image's lint target fails on, said by plan too (a real build leaves it to lint).
    if (options.plan) warnings.push(...warned.map((finding) => `${formatFinding(shownDockerfile, finding)} (${project}:lint fails on this)`));
  }
  // The container test would find a broken checks.json only after the build: plan reads it now.
  if (options.plan) readChecksFile(context.root, node.root);
  if (!generatedIdentity && options.buildArgs) {
    checkBuildArgsDeclared(options.buildArgs, readFileSync(dockerfile, 'utf8'), `${node.root}/project.json: ${target}`, relative(context.root, dockerfile));
  }
  const plan = planImageBuild({
    project,
    stream,
    imageName,
    registry,
    dockerfile,
    dockerfileSha256,
    context: buildContext,
    contextFiles: generatedIdentity ? [] : hashBuildContext(buildContext, shownContext),
    parentSource,
    parentRecord: parentSource.kind === 'project' ? readRecord(context.root, parentSource.project, stream) : null,
    // An upstream's Dockerfile is not ours: the rebuild date is for the layers we install.
    buildArgs: parentSource.kind === 'own-dockerfile' ? (options.buildArgs ?? {}) : { ...settingsBuildArgs(settings), ...options.buildArgs },
    planOnly: !!options.plan,
    ...(generatedIdentity && { generatedFrom: { base: generatedIdentity.cudaBase, identity: identityKey(generatedIdentity) } }),
  });
  return { plan, settings, registry, lock, generatedIdentity, warnings, parentSource };
}
