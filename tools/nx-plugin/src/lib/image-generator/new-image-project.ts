import type { ProjectConfiguration } from '@nx/devkit';
import { BuildConfigurationError } from '../errors';
import { buildTarget, STREAMS, type Stream } from '../hierarchy/image-graph';
import { parseStreams } from '../hierarchy/stream-list';
import { checkImageName } from '../registry/image-reference';

export interface NewImageRequest {
  name: string;
  parent: string;
  streams: string;
  imageName?: string;
}

export interface NewImagePlan {
  name: string;
  root: string;
  parent: string;
  streams: Stream[];
  imageName: string;
  configuration: ProjectConfiguration;
}

const PROJECT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The README's first line when --description is not given: what it builds on and where its additions are listed. */
export function defaultDescription(plan: Pick<NewImagePlan, 'root' | 'parent' | 'streams'>): string {
  return `The ${plan.parent} image (${plan.streams.join(' and ')}) plus what ${plan.root}/Dockerfile installs; tests/checks.json lists what it promises.`;
}

/** The streams a project's metadata names (what the workspace plugin infers its targets from). */
export function streamsOf(project: ProjectConfiguration): Stream[] {
  const streams = (project.metadata as { streams?: unknown } | undefined)?.streams;
  return Array.isArray(streams) ? STREAMS.filter((stream) => streams.includes(stream)) : [];
}

/**
 * A new image's project.json: its parent and the metadata the workspace
 * plugin infers its targets from (image name, streams), and no target.
 */
export function planNewImage(
  request: NewImageRequest,
  existing: Record<string, ProjectConfiguration>,
): NewImagePlan {
  const { name, parent } = request;
  if (!PROJECT_NAME.test(name)) {
    throw new BuildConfigurationError(`--name "${name}": use lower case letters, digits and single dashes (e.g. nlp or deep-learning)`);
  }
  if (existing[name]) throw new BuildConfigurationError(`--name ${name}: a project of that name exists at ${existing[name].root}; choose another name`);
  const parentConfig = existing[parent];
  if (!parentConfig) {
    throw new BuildConfigurationError(`--parent ${parent}: no such project; choose one of the image projects (npx nx show projects --withTarget build-cpu)`);
  }
  const streams = parseStreams(request.streams, '--streams');
  const parentStreams = streamsOf(parentConfig);
  const missing = streams.filter((stream) => !parentStreams.includes(stream));
  if (missing.length > 0) {
    throw new BuildConfigurationError(
      `--parent ${parent} has no ${missing.map(buildTarget).join(', ')} target: choose a parent that exists in stream(s) ${missing.join(', ')}, or leave them out of --streams`,
    );
  }
  const root = `images/${name}`;
  const imageName = request.imageName ?? `${name}-notebook`;
  checkImageName('--imageName', imageName);
  const taken = Object.values(existing).find((project) => (project.metadata as { imageName?: unknown } | undefined)?.imageName === imageName);
  if (taken) {
    throw new BuildConfigurationError(
      `--imageName ${imageName}: ${taken.name ?? taken.root} (${taken.root}/project.json) is published under that name already; choose another --imageName`,
    );
  }
  return {
    name,
    root,
    parent,
    streams,
    imageName,
    configuration: {
      name,
      root,
      projectType: 'application',
      tags: ['image:notebook'],
      implicitDependencies: [parent],
      metadata: { imageName, streams },
    } as ProjectConfiguration,
  };
}
