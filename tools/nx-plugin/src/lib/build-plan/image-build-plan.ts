import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';
import type { ParentSource } from '../hierarchy/resolve-parent';
import type { BuildRecord } from '../records/build-record';
import { contentTag, type ContextFile } from '../content-tag/content-tag';
import { imageRepository } from '../images/image-names';

/** Everything decided before any engine runs. */
export interface ImageBuildPlan {
  project: string;
  stream: Stream;
  repository: string;
  contentTag: string;
  /** repository:contentTag */
  image: string;
  /** What BASE_CONTAINER is set to; for an upstream whose Dockerfile names its own base, that base (null when unknown). */
  parent: string | null;
  /** Build args passed to the engine, BASE_CONTAINER included. */
  buildArgs: Record<string, string>;
  dockerfile: string;
  context: string;
}

export interface PlanInputs {
  project: string;
  stream: Stream;
  imageName: string;
  registry: string;
  dockerfile: string;
  dockerfileSha256: string;
  context: string;
  contextFiles: ContextFile[];
  parentSource: ParentSource;
  /** The parent's record when the parent is a workspace project. */
  parentRecord: BuildRecord | null;
  buildArgs: Record<string, string>;
  /** Plan mode may build on planned parents; a real build may not. */
  planOnly: boolean;
  /**
   * For an upstream whose Dockerfile names its own base and whose context is
   * generated from pins: that base (shown as the parent) and the pins'
   * identity, which then stands for the context.
   */
  generatedFrom?: { base: string; identity: string };
}

function parentOf(inputs: PlanInputs): { reference: string | null; identity: string } {
  const source = inputs.parentSource;
  if (source.kind === 'own-dockerfile') {
    return { reference: inputs.generatedFrom?.base ?? null, identity: inputs.generatedFrom?.identity ?? 'own-dockerfile' };
  }
  if (source.kind === 'pinned') return { reference: source.reference, identity: source.reference };
  const record = inputs.parentRecord;
  if (!record) throw new Error(`parent record of ${inputs.project} was not read`);
  if (record.planned && !inputs.planOnly) {
    throw new BuildConfigurationError(
      `${inputs.project}:build-${inputs.stream} cannot build on ${source.project}'s planned record (plan mode built nothing): run nx run ${source.project}:build-${inputs.stream} without -c plan first`,
    );
  }
  // The parent's content tag, not its reference: a registry change must not change what an image is.
  return { reference: record.image, identity: record.contentTag };
}

export function planImageBuild(inputs: PlanInputs): ImageBuildPlan {
  if ('BASE_CONTAINER' in inputs.buildArgs) {
    throw new BuildConfigurationError(
      `${inputs.project}:build-${inputs.stream} sets BASE_CONTAINER in buildArgs: remove it; the parent is resolved from implicitDependencies`,
    );
  }
  const parent = parentOf(inputs);
  const tag = contentTag({
    stream: inputs.stream,
    dockerfileSha256: inputs.dockerfileSha256,
    contextFiles: inputs.contextFiles,
    parentIdentity: parent.identity,
    buildArgs: inputs.buildArgs,
  });
  const repository = imageRepository(inputs.registry, inputs.imageName, inputs.stream);
  return {
    project: inputs.project,
    stream: inputs.stream,
    repository,
    contentTag: tag,
    image: `${repository}:${tag}`,
    parent: parent.reference,
    buildArgs: parent.reference && inputs.parentSource.kind !== 'own-dockerfile' ? { ...inputs.buildArgs, BASE_CONTAINER: parent.reference } : { ...inputs.buildArgs },
    dockerfile: inputs.dockerfile,
    context: inputs.context,
  };
}

/** The labels every built image carries. */
export function imageLabels(plan: ImageBuildPlan): Record<string, string> {
  return {
    'org.opencontainers.image.title': plan.repository.split('/').pop() ?? plan.repository,
    'io.kubeflow-images.content-tag': plan.contentTag,
  };
}

/**
 * The Dockerfile with the labels added as ONE last LABEL line. buildah (podman)
 * turns each --label into a build step of its own, and with --cache-to it
 * pushes every step to the layer cache: two label steps cost two registry
 * pushes (the content tag in them means no later build reuses either), one
 * line costs one. Null when the last line continues
 * (ends with `\` or a backtick escape), where an added line would change the
 * last instruction: the labels then go as --label.
 */
export function dockerfileWithLabels(dockerfileText: string, labels: Record<string, string>): string | null {
  const trimmed = dockerfileText.trimEnd();
  if (/[\\`]$/.test(trimmed)) return null;
  const pairs = Object.entries(labels).map(([key, value]) => `${JSON.stringify(key)}=${JSON.stringify(value)}`);
  return `${trimmed}\nLABEL ${pairs.join(' ')}\n`;
}

/**
 * The options handed to nx-container's run: the engine does the build, we
 * decide what. `labelledDockerfile`: the Dockerfile with the labels in it
 * (podman, see dockerfileWithLabels), built instead of plan.dockerfile.
 */
export function toNxContainerOptions(
  plan: ImageBuildPlan,
  engine: string,
  tags: string[],
  push: boolean,
  cacheFrom: string[],
  cacheTo: string[] = [],
  labelledDockerfile: string | null = null,
): Record<string, unknown> {
  return {
    engine,
    file: labelledDockerfile ?? plan.dockerfile,
    context: plan.context,
    'build-args': Object.entries(plan.buildArgs).map(([key, value]) => `${key}=${value}`),
    tags,
    labels: labelledDockerfile ? [] : Object.entries(imageLabels(plan)).map(([key, value]) => `${key}=${value}`),
    'cache-from': cacheFrom,
    'cache-to': cacheTo,
    push,
    load: engine === 'docker',
    // Without it nx-container runs `podman version` twice and `podman info` before every build, only to print them.
    quiet: true,
  };
}
