import { BuildConfigurationError } from '../errors';
import type { BuildSettings } from '../settings/build-settings';
import { buildTarget, hasStream, isImageProject, UPSTREAM_TAG, type ImageGraph, type Stream } from './image-graph';

/** Where a build's BASE_CONTAINER comes from. */
export type ParentSource =
  /** Another project of the workspace; its build record names the image. */
  | { kind: 'project'; project: string }
  /** An image pinned in build_settings.env. */
  | { kind: 'pinned'; reference: string; settingKey: string }
  /** An upstream project: its own Dockerfile names its base (e.g. nvidia/cuda). */
  | { kind: 'own-dockerfile' };

export function upstreamSettingKey(stream: Stream): string {
  return `UPSTREAM_CONTAINER_${stream.toUpperCase()}`;
}

/**
 * The parent of `project` for `stream`, by the design's contract: the one
 * implicit dependency that is an image project. A root image instead names an
 * upstream project (tagged image:upstream); for a stream that upstream does not
 * build, the root's parent is the pin UPSTREAM_CONTAINER_<STREAM>.
 */
export function resolveParent(graph: ImageGraph, project: string, stream: Stream, settings: BuildSettings): ParentSource {
  const node = graph[project];
  if (!node) throw new BuildConfigurationError(`unknown project "${project}": it is not in the Nx project graph`);
  const target = buildTarget(stream);
  if (node.tags.includes(UPSTREAM_TAG)) return { kind: 'own-dockerfile' };
  const unknown = node.implicitDependencies.filter((dep) => !graph[dep]);
  if (unknown.length > 0) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: implicitDependencies names unknown project(s) ${unknown.join(', ')}: fix the name or create the project`,
    );
  }
  const candidates = node.implicitDependencies.filter((dep) => isImageProject(graph[dep]));
  const upstreams = candidates.filter((dep) => graph[dep].tags.includes(UPSTREAM_TAG));
  const parents = candidates.filter((dep) => !upstreams.includes(dep));

  if (parents.length > 1) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project} has several parent images (${parents.join(', ')}) in implicitDependencies: an image has exactly one parent; keep one`,
    );
  }
  if (parents.length === 1) {
    const parent = parents[0];
    if (upstreams.length > 0) {
      throw new BuildConfigurationError(
        `${node.root}/project.json: ${project} names both the parent image ${parent} and the upstream ${upstreams.join(', ')}: only a root image names an upstream; remove one`,
      );
    }
    if (!hasStream(graph[parent], stream)) {
      throw new BuildConfigurationError(
        `${project}:${target} builds on ${parent}, which has no ${target} target: add ${target} to ${graph[parent].root}/project.json or remove ${target} from ${node.root}/project.json`,
      );
    }
    return { kind: 'project', project: parent };
  }
  if (upstreams.length === 0) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project} has no parent image: name its parent project in implicitDependencies (a root image names an upstream project tagged ${UPSTREAM_TAG})`,
    );
  }
  const streamUpstreams = upstreams.filter((dep) => hasStream(graph[dep], stream));
  if (streamUpstreams.length > 1) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project} names several upstreams with ${target} (${streamUpstreams.join(', ')}): keep one`,
    );
  }
  if (streamUpstreams.length === 1) return { kind: 'project', project: streamUpstreams[0] };
  const settingKey = upstreamSettingKey(stream);
  const reference = settings.values[settingKey];
  if (!reference) {
    throw new BuildConfigurationError(
      `${project}:${target} is a root image but no upstream builds ${target} and ${settings.file} has no ${settingKey}: set ${settingKey} or add an upstream project with ${target}`,
    );
  }
  return { kind: 'pinned', reference, settingKey };
}

/**
 * The chain of projects from `project` up to its root, for one stream. Fails
 * on a cycle, naming it, since Nx would otherwise wait on itself.
 */
export function parentChain(graph: ImageGraph, project: string, stream: Stream, settings: BuildSettings): string[] {
  const chain = [project];
  let current = project;
  for (;;) {
    const parent = resolveParent(graph, current, stream, settings);
    if (parent.kind !== 'project') return chain;
    if (chain.includes(parent.project)) {
      const cycle = [...chain.slice(chain.indexOf(parent.project)), parent.project].join(' -> ');
      throw new BuildConfigurationError(
        `the image hierarchy has a cycle (${cycle}): remove one of these implicitDependencies so every image has a root`,
      );
    }
    chain.push(parent.project);
    current = parent.project;
  }
}
