import { didYouMean } from '../did-you-mean';
import { BuildConfigurationError } from '../errors';
import { checkImageName } from '../registry/image-reference';
import type { BuildSettings } from '../settings/build-settings';
import { buildTarget, hasStream, isImageProject, STREAMS, UPSTREAM_TAG, type ImageGraph, type Stream } from './image-graph';

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

/** What the hierarchy alone says of a build's parent; the pin of a root is looked up in the settings. */
export type HierarchyParent = { kind: 'project'; project: string } | { kind: 'own-dockerfile' } | { kind: 'pinned' };

/**
 * The parent of `project` for `stream`, by the design's contract: the one
 * implicit dependency that is an image project. A root image instead names an
 * upstream project (tagged image:upstream); for a stream that upstream does not
 * build, the root's parent is the pin UPSTREAM_CONTAINER_<STREAM>.
 */
export function resolveParent(graph: ImageGraph, project: string, stream: Stream, settings: BuildSettings): ParentSource {
  return withPin(hierarchyParent(graph, project, stream), project, stream, settings);
}

/** A hierarchy parent with the pin of a root looked up in the settings. */
function withPin(parent: HierarchyParent, project: string, stream: Stream, settings: BuildSettings): ParentSource {
  if (parent.kind !== 'pinned') return parent;
  const settingKey = upstreamSettingKey(stream);
  const reference = settings.values[settingKey];
  if (!reference) {
    const target = buildTarget(stream);
    throw new BuildConfigurationError(
      `${project}:${target} is a root image but no upstream builds ${target} and ${settings.file} has no ${settingKey}: set ${settingKey} or add an upstream project with ${target}`,
    );
  }
  return { kind: 'pinned', reference, settingKey };
}

/** The parent rules that need only the graph, so the Nx plugin can apply them while the graph is built. */
export function hierarchyParent(graph: ImageGraph, project: string, stream: Stream): HierarchyParent {
  const node = graph[project];
  if (!node) throw new BuildConfigurationError(`unknown project "${project}": it is not in the Nx project graph`);
  const target = buildTarget(stream);
  if (node.tags.includes(UPSTREAM_TAG)) return { kind: 'own-dockerfile' };
  const unknown = node.implicitDependencies.filter((dep) => !graph[dep]);
  if (unknown.length > 0) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: implicitDependencies names unknown project ${unknown.map((dep) => `"${dep}"${didYouMean(dep, Object.keys(graph))}`).join(', ')}: fix the name or create the project`,
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
        `${project}:${target} builds on ${parent}, which has no ${target} target: add "${stream}" to metadata.streams in ${graph[parent].root}/project.json or remove it from metadata.streams in ${node.root}/project.json`,
      );
    }
    return { kind: 'project', project: parent };
  }
  const notImages = node.implicitDependencies.filter((dep) => !isImageProject(graph[dep]));
  if (upstreams.length === 0 && notImages.length > 0) {
    const images = Object.keys(graph).filter((name) => name !== project && isImageProject(graph[name]) && !graph[name].tags.includes(UPSTREAM_TAG));
    throw new BuildConfigurationError(
      `${node.root}/project.json: implicitDependencies names ${notImages.join(', ')}, which ${notImages.length === 1 ? 'is' : 'are'} not an image (no build-cpu or build-gpu target), so ${project} has no parent image: name its parent image instead (one of ${images.sort().join(', ')})`,
    );
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
  return { kind: 'pinned' };
}

/** One image of a parent chain and where its BASE_CONTAINER comes from. */
export interface ChainLink {
  project: string;
  parent: ParentSource;
}

/**
 * The chain from `project` up to its root, for one stream, each image with its
 * resolved parent, in one walk: a build takes its own parent from the first
 * link. Fails on a cycle, naming it, since Nx would otherwise wait on itself,
 * and when the root's pin is missing from the settings.
 */
export function resolveParentChain(graph: ImageGraph, project: string, stream: Stream, settings: BuildSettings): ChainLink[] {
  return hierarchyChain(graph, project, stream).map((link) => ({ project: link.project, parent: withPin(link.parent, link.project, stream, settings) }));
}

/** The projects of the chain from `project` up to its root (see resolveParentChain). */
export function parentChain(graph: ImageGraph, project: string, stream: Stream, settings: BuildSettings): string[] {
  return resolveParentChain(graph, project, stream, settings).map((link) => link.project);
}

type HierarchyLink = { project: string; parent: HierarchyParent };

function hierarchyChain(graph: ImageGraph, project: string, stream: Stream): HierarchyLink[] {
  const chain: HierarchyLink[] = [];
  for (let current = project; ; ) {
    const parent = hierarchyParent(graph, current, stream);
    chain.push({ project: current, parent });
    if (parent.kind !== 'project') return chain;
    const seen = chain.findIndex((link) => link.project === parent.project);
    if (seen !== -1) {
      const cycle = [...chain.slice(seen).map((link) => link.project), parent.project];
      throw new BuildConfigurationError(
        `${graph[cycle[0]].root}/project.json: the image hierarchy has a cycle (${cycle.join(' -> ')}): remove one of these implicitDependencies so every image has a root`,
      );
    }
    current = parent.project;
  }
}

/**
 * Applies every hierarchy rule to every image of every stream it builds and
 * throws the first violation (projects in name order, so the message is stable).
 * Cheap: one walk up each chain, no files read.
 */
export function checkHierarchy(graph: ImageGraph): void {
  checkUniqueImageNames(graph);
  for (const name of Object.keys(graph).sort()) {
    const node = graph[name];
    if (!isImageProject(node)) continue;
    for (const stream of STREAMS) if (hasStream(node, stream)) hierarchyChain(graph, name, stream);
  }
}

/**
 * Every image name is valid and no two images share one, checked while Nx
 * builds the graph: a bad name on a leaf stops the run before its parents build.
 */
function checkUniqueImageNames(graph: ImageGraph): void {
  const owners = new Map<string, string>();
  for (const name of Object.keys(graph).sort()) {
    const { imageName, root } = graph[name];
    if (!imageName) continue;
    checkImageName(`${root}/project.json: metadata.imageName`, imageName);
    const first = owners.get(imageName);
    if (first === undefined) {
      owners.set(imageName, name);
      continue;
    }
    throw new BuildConfigurationError(
      `${root}/project.json: metadata.imageName "${imageName}" is already the image name of ${first} (${graph[first].root}/project.json), and both would push to the same repository: give ${name} its own imageName`,
    );
  }
}
