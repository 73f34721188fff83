import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';

/** What a build leaves behind for its children and for people: the target's declared output. */
export interface BuildRecord {
  project: string;
  stream: Stream;
  /** Full reference including the content tag, e.g. myacr.azurecr.io/minimal-notebook-cpu:content-… */
  image: string;
  contentTag: string;
  /** The exact reference passed as BASE_CONTAINER: an upstream pin as name:tag@digest. For gpu-upstream, the locked base its generated Dockerfile names (null when unknown). */
  parent: string | null;
  /** Every reference applied: the content tag, plus human tags when pushed. */
  tags: string[];
  imageId: string | null;
  /** Registry manifest digest; null when not pushed. */
  digest: string | null;
  /** True when written by plan mode: nothing was built. */
  planned: boolean;
  /** How the image came to be: built by the engine, found in the engine's storage, or found in the registry. */
  source: 'planned' | 'built' | 'local' | 'registry';
  /**
   * How to build the image again when a cache hit restored this record but
   * the image is gone (absent from records written before it existed).
   */
  recipe?: BuildRecipe;
}

/** What the engine was given, paths relative to the workspace root so the record is the same on every machine. */
export interface BuildRecipe {
  dockerfile: string;
  context: string;
  /** The target's build args; BASE_CONTAINER is not among them (it is `parent`). */
  buildArgs: Record<string, string>;
  /** The context is generated from the pins (gpu-upstream): rebuilding generates it again first. */
  generated?: true;
}

/** The recipe of a plan whose Dockerfile and context are absolute paths inside `workspaceRoot`. */
export function recipeOf(
  plan: { dockerfile: string; context: string; buildArgs: Record<string, string> },
  workspaceRoot: string,
  generated = false,
): BuildRecipe {
  const { BASE_CONTAINER: _parent, ...buildArgs } = plan.buildArgs;
  const inWorkspace = (path: string) => relative(workspaceRoot, path).split(sep).join('/') || '.';
  return { dockerfile: inWorkspace(plan.dockerfile), context: inWorkspace(plan.context), buildArgs, ...(generated && { generated: true }) };
}

export function recordPath(workspaceRoot: string, project: string, stream: Stream): string {
  return join(workspaceRoot, 'dist', 'images', project, `${stream}.json`);
}

/** Writes through a temporary file and a rename, so a killed build never leaves half a record. */
export function writeRecord(workspaceRoot: string, record: BuildRecord): string {
  const path = recordPath(workspaceRoot, record.project, record.stream);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(temporary, path);
  return path;
}

/** A stale record must not survive a failed build, or a child would build on it. */
export function removeRecord(workspaceRoot: string, project: string, stream: Stream): void {
  rmSync(recordPath(workspaceRoot, project, stream), { force: true });
}

const REQUIRED_FIELDS: (keyof BuildRecord)[] = ['project', 'stream', 'image', 'contentTag', 'tags', 'planned'];

/**
 * A record that is not there or cannot be used. Builds and tests re-derive
 * it from the project's plan (see heal-records); elsewhere its message is the
 * fix. `nx run` alone would not do: the Nx cache may hold the very same
 * broken file and replay it, so the command skips the cache.
 */
export class UnreadableRecordError extends BuildConfigurationError {
  constructor(
    readonly project: string,
    readonly stream: Stream,
    /** What is wrong with it, e.g. "is not valid JSON"; starts with the record's path. */
    readonly problem: string,
  ) {
    super(`build record of ${project} (${stream}) ${problem}: run npx nx run ${project}:build-${stream} --skip-nx-cache (nx run-many and nx affected re-derive it when they build on it)`);
    this.name = 'UnreadableRecordError';
  }
}

export function readRecord(workspaceRoot: string, project: string, stream: Stream): BuildRecord {
  const path = recordPath(workspaceRoot, project, stream);
  if (!existsSync(path)) throw new UnreadableRecordError(project, stream, `${path} is missing`);
  let record: BuildRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UnreadableRecordError(project, stream, `${path} is not valid JSON`);
  }
  if (typeof record !== 'object' || record === null) throw new UnreadableRecordError(project, stream, `${path} is not a JSON object`);
  const missing = REQUIRED_FIELDS.filter((field) => record[field] === undefined);
  if (missing.length > 0) throw new UnreadableRecordError(project, stream, `${path} is incomplete (missing ${missing.join(', ')})`);
  if (record.project !== project || record.stream !== stream) {
    throw new UnreadableRecordError(project, stream, `${path} belongs to another build (${record.project}, ${record.stream})`);
  }
  return record;
}

type PlannedImage = Pick<BuildRecord, 'project' | 'stream' | 'image' | 'contentTag' | 'parent'>;

/** The record of a build that made or found its image. */
export function builtRecord(plan: PlannedImage, fields: Pick<BuildRecord, 'tags' | 'imageId' | 'digest' | 'source'>): BuildRecord {
  return {
    project: plan.project,
    stream: plan.stream,
    image: plan.image,
    contentTag: plan.contentTag,
    parent: plan.parent,
    planned: false,
    ...fields,
  };
}

/** The record plan mode writes: everything resolved, nothing built. */
export function plannedRecord(plan: PlannedImage): BuildRecord {
  return { ...builtRecord(plan, { tags: [plan.image], imageId: null, digest: null, source: 'planned' }), planned: true };
}
