import { createProjectGraphAsync } from '@nx/devkit';
import { buildTarget, hasStream, toImageGraph, UPSTREAM_TAG, type ImageGraph, type Stream } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { hierarchyParent } from '@kubeflow-images/plugin-lib/hierarchy/resolve-parent';

/**
 * This workspace's images as Nx sees them. The temp workspaces are copies of
 * it, so suites derive the images they expect from here: adding an image
 * must not break them.
 */
export async function workspaceImageGraph(): Promise<ImageGraph> {
  process.env.NX_DAEMON = 'false';
  return toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
}

/** The build args each image's `build-<stream>` passes, by project: what a fixture Dockerfile must declare. */
export async function workspaceBuildArgs(stream: Stream): Promise<Record<string, string[]>> {
  process.env.NX_DAEMON = 'false';
  const projectGraph = await createProjectGraphAsync({ exitOnError: false });
  const args: Record<string, string[]> = {};
  for (const [name, node] of Object.entries(projectGraph.nodes)) {
    const options = node.data.targets?.[buildTarget(stream)]?.options as { buildArgs?: Record<string, string> } | undefined;
    args[name] = Object.keys(options?.buildArgs ?? {});
  }
  return args;
}

/** Every project that builds `stream` (upstreams included), sorted. */
export function imagesOf(graph: ImageGraph, stream: Stream): string[] {
  return Object.values(graph)
    .filter((node) => hasStream(node, stream))
    .map((node) => node.name)
    .sort();
}

/** The notebook images of `stream`: its images without the upstream projects (gpu-upstream), sorted. */
export function notebookImagesOf(graph: ImageGraph, stream: Stream): string[] {
  return imagesOf(graph, stream).filter((project) => !graph[project].tags.includes(UPSTREAM_TAG));
}

/** The image `project` builds on in `stream`, or null for a root (pinned, or its own Dockerfile). */
export function imageParent(graph: ImageGraph, project: string, stream: Stream): string | null {
  const parent = hierarchyParent(graph, project, stream);
  return parent.kind === 'project' ? parent.project : null;
}

/** The images of `stream` built on `project`, directly or further down, sorted. */
export function descendantsOf(graph: ImageGraph, project: string, stream: Stream): string[] {
  return imagesOf(graph, stream).filter((image) => {
    for (let parent = imageParent(graph, image, stream); parent; parent = imageParent(graph, parent, stream)) {
      if (parent === project) return true;
    }
    return false;
  });
}

/** A notebook image of `stream` with an image parent and at least one child: what a "change in the middle" case edits. */
export function middleImage(graph: ImageGraph, stream: Stream): string {
  const middle = notebookImagesOf(graph, stream).find((project) => imageParent(graph, project, stream) && descendantsOf(graph, project, stream).length > 0);
  if (!middle) throw new Error(`the ${stream} hierarchy has no image between a parent and a child: this suite needs one`);
  return middle;
}
