import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CreateNodes, CreateNodesResult } from '@nx/devkit';
import { BuildConfigurationError } from '../lib/errors';
import { STREAMS, type Stream } from '../lib/hierarchy/image-graph';
import { executorCodeInputs } from '../lib/plugin-build/plugin-sources';
import { factsGraph, imageTargets, type BuildPaths, type ImageProjectFacts } from '../lib/targets/image-targets';

interface ProjectJson {
  name?: string;
  tags?: string[];
  implicitDependencies?: string[];
  metadata?: { imageName?: unknown; streams?: unknown };
  targets?: Record<string, unknown>;
}

/** An image project is a project.json whose metadata names its streams. */
function readFacts(workspaceRoot: string, file: string): ImageProjectFacts | null {
  let json: ProjectJson;
  try {
    json = JSON.parse(readFileSync(join(workspaceRoot, file), 'utf8')) as ProjectJson;
  } catch (error) {
    // Nx's own report names no file ("Could not load plugin").
    throw new BuildConfigurationError(`${file} is not valid JSON (${(error as Error).message}): fix the file (git diff ${file} shows what changed)`);
  }
  const isObject = (value: unknown) => !!value && typeof value === 'object' && !Array.isArray(value);
  if (json.targets !== undefined && !isObject(json.targets)) {
    throw new BuildConfigurationError(`${file}: targets is ${JSON.stringify(json.targets)}, not an object: write "targets": { "<name>": { … } } or remove it`);
  }
  for (const [name, target] of Object.entries(json.targets ?? {})) {
    // Nx's own report of these names no file either.
    if (!isObject(target)) {
      throw new BuildConfigurationError(
        `${file}: targets["${name}"] is ${JSON.stringify(target)}, not an object: write "${name}": { "options": { … } } or remove it (image targets are inferred)`,
      );
    }
  }
  const streams = json.metadata?.streams;
  if (!Array.isArray(streams) || !json.name) return null;
  const root = dirname(file);
  return {
    name: json.name,
    root,
    implicitDependencies: (json.implicitDependencies ?? []).filter((dep): dep is string => typeof dep === 'string'),
    tags: json.tags ?? [],
    streams: STREAMS.filter((stream: Stream) => streams.includes(stream)),
    imageName: typeof json.metadata?.imageName === 'string' ? json.metadata.imageName : undefined,
    hasDockerfile: existsSync(join(workspaceRoot, root, 'Dockerfile')),
    buildPaths: Object.fromEntries(STREAMS.map((stream) => [stream, buildPathsOf(json.targets?.[`build-${stream}`])])),
  };
}

function buildPathsOf(target: unknown): BuildPaths {
  const options = (target as { options?: Record<string, unknown> } | undefined)?.options ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { context: text(options.context), dockerfile: text(options.dockerfile) };
}

/**
 * Infers each image project's targets from its folder and the streams and
 * image name in its project.json metadata; project.json states only the
 * parent (implicitDependencies), that metadata and options of its own.
 */
export const createNodes: CreateNodes = [
  '**/project.json',
  (files, _options, context) => {
    const images = files.map((file) => [file, readFacts(context.workspaceRoot, file)] as const).filter((entry): entry is readonly [string, ImageProjectFacts] => !!entry[1]);
    if (images.length === 0) return [];
    const graph = factsGraph(images.map(([, facts]) => facts));
    const projects = Object.fromEntries(images.map(([, facts]) => [facts.name, facts]));
    const code = executorCodeInputs(context.workspaceRoot);
    return images.map(([file, facts]): readonly [string, CreateNodesResult] => [
      file,
      { projects: { [facts.root]: { targets: imageTargets(facts, graph, projects, code) } } },
    ]);
  },
];
