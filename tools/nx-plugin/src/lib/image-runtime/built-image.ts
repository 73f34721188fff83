import { BuildConfigurationError } from '../errors';
import { buildTarget, hasStream, type ImageGraph, type ImageNode, type Stream } from '../hierarchy/image-graph';
import { readRecord } from '../records/build-record';

/**
 * The image a test or serve target runs: the one its project's build record
 * names (never a guessed tag). Only streams the project builds have one.
 */
export function builtImage(
  workspaceRoot: string,
  graph: ImageGraph,
  project: string,
  stream: Stream,
  target: string,
): { image: string; node: ImageNode } {
  const node = graph[project];
  if (!node) throw new BuildConfigurationError(`unknown project "${project}": it is not in the Nx project graph`);
  if (!hasStream(node, stream)) {
    throw new BuildConfigurationError(
      `${node.root}/project.json: ${project} has ${target} but no ${buildTarget(stream)} target: an image is only tested and served for the streams it builds; remove ${target} or add ${buildTarget(stream)}`,
    );
  }
  const record = readRecord(workspaceRoot, project, stream);
  if (record.planned) {
    throw new BuildConfigurationError(
      `the build record of ${project} (${stream}) is a plan, nothing was built: run nx run ${project}:${buildTarget(stream)} without --configuration=plan`,
    );
  }
  return { image: record.image, node };
}
