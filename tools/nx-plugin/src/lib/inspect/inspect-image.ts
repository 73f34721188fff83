import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';
import { placeImage } from '../image-runtime/image-placement';
import type { Cli } from '../engine/engine-cli';
import { parseDockerfile } from '../dockerfile/parse-dockerfile';
import type { RegistryClient } from '../registry/registry-client';
import { layerOrigins } from './dockerfile-layers';
import { inheritedLayerCount, listPackages, parentLayers, readSavedImage, storageWith } from './engine-image';
import { assembleReport, type InspectReport } from './report';
import { countWaste } from './waste';

export interface InspectTarget {
  project: string;
  stream: Stream;
  /** The image and parent the build record names. */
  image: string;
  digest: string | null;
  parent: string | null;
  dockerfileText: string;
  /** Where the Dockerfile is, for messages. */
  dockerfile: string;
}

export interface InspectTools {
  podman: Cli;
  docker: Cli;
  registry: Pick<RegistryClient, 'imageConfig'> | null;
  containerName: string;
  /** Removes the package-listing container however this process ends; returns the function that stops guarding. */
  guard(name: string): () => void;
  log(line: string): void;
}

/** Reads the built image's layers from the engine's storage, counts its waste and lists its packages. */
export async function inspectImage(target: InspectTarget, tools: InspectTools): Promise<InspectReport> {
  const { image, parent } = target;
  if (!parent) {
    throw new BuildConfigurationError(
      `the build record of ${target.project} (${target.stream}) names no parent: inspect tells inherited layers from own ones by the parent's layers, so it only inspects images built FROM $BASE_CONTAINER`,
    );
  }
  const engines = [tools.podman, tools.docker];
  const storage = await storageWith(image, engines);
  tools.log(`reading the layers of ${image} (${storage.name} save, streamed)`);
  const archive = await readSavedImage(storage.name, image);
  const firstOwnLayer = inheritedLayerCount(
    archive.layers.map((layer) => layer.diffId),
    await parentLayers(parent, engines, tools.registry),
    image,
    parent,
  );
  const origins = layerOrigins(archive.config.history ?? [], archive.layers.length, firstOwnLayer, parseDockerfile(target.dockerfileText));
  const waste = countWaste(
    archive.layers.map((layer) => layer.files),
    firstOwnLayer,
  );
  await placeImage(image, tools.docker, tools.podman, tools.podman, tools.log);
  const unguard = tools.guard(tools.containerName);
  const packages = await listPackages(tools.docker, image, tools.containerName).finally(unguard);
  return assembleReport({ project: target.project, stream: target.stream, image, digest: target.digest, archive, firstOwnLayer, origins, waste, packages });
}
