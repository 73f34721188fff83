import type { ProjectConfiguration, ProjectGraph } from '@nx/devkit';

export type Stream = 'cpu' | 'gpu';
export const STREAMS: readonly Stream[] = ['cpu', 'gpu'];

/** Tag of a project that provides a stream's root image (e.g. gpu-upstream) rather than being a notebook image. */
export const UPSTREAM_TAG = 'image:upstream';

/** What parent resolution needs to know of one project. */
export interface ImageNode {
  name: string;
  root: string;
  implicitDependencies: string[];
  targets: string[];
  tags: string[];
  imageName?: string;
}

export type ImageGraph = Record<string, ImageNode>;

export function buildTarget(stream: Stream): string {
  return `build-${stream}`;
}

/** Any project with a build-<stream> target is an image project. */
export function isImageProject(node: ImageNode | undefined): node is ImageNode {
  return !!node && STREAMS.some((stream) => node.targets.includes(buildTarget(stream)));
}

export function hasStream(node: ImageNode, stream: Stream): boolean {
  return node.targets.includes(buildTarget(stream));
}

/** Reduces Nx's project graph to the facts parent resolution uses. */
export function toImageGraph(projectGraph: ProjectGraph): ImageGraph {
  return imageGraphOf(Object.entries(projectGraph.nodes).map(([name, node]) => [name, node.data]));
}

/** The same, from project configurations (what an Nx plugin sees while the graph is built). */
export function imageGraphOf(projects: Iterable<[string, ProjectConfiguration]>): ImageGraph {
  const graph: ImageGraph = {};
  for (const [name, data] of projects) {
    const metadata = (data.metadata ?? {}) as { imageName?: unknown };
    graph[name] = {
      name,
      root: data.root,
      implicitDependencies: (data.implicitDependencies ?? []).filter((dep) => !dep.startsWith('!')),
      targets: Object.keys(data.targets ?? {}),
      tags: data.tags ?? [],
      imageName: typeof metadata.imageName === 'string' ? metadata.imageName : undefined,
    };
  }
  return graph;
}
