import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BuildConfigurationError } from '../errors';

/**
 * What one run of `gpu-upstream:generate` was made from, written beside the
 * build context (never inside it: a file in the context would change the
 * image's content tag). Stream parity reads it to learn the gpu stream's
 * docker-stacks commit.
 */
export interface GenerationRecord {
  version: 1;
  /** The build context the record describes, relative to the workspace root. */
  context: string;
  /** sha256 of the context's Dockerfile, so a record is never read for another context. */
  dockerfileSha256: string;
  gpuJupyter: { repository: string; commitSetting: string; commit: string };
  /** `commitSetting` is UPSTREAM_CONTAINER_CPU_HEAD_COMMIT as generation read it; `commit` is what git resolved it to. */
  dockerStacks: { repository: string; commitSetting: string; commit: string };
  layout: string;
  /** sha256 of the generator code (lib/gpu-upstream) that made the context. */
  generatorSha256?: string;
  /** The context Dockerfile's base as written: nvidia/cuda:tag@sha256:… when upstream-lock.json locked it. */
  cudaBase?: string;
}

export const GENERATION_RECORD_FILE = 'generation.json';

/** The record of a context directory: dist/images/gpu-upstream/context -> dist/images/gpu-upstream/generation.json. */
export function generationRecordPath(contextDir: string): string {
  return join(dirname(contextDir), GENERATION_RECORD_FILE);
}

export function sha256OfFile(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function removeGenerationRecord(path: string): void {
  rmSync(path, { force: true });
}

/** Written through a temporary file and a rename: the record is complete or absent. */
export function writeGenerationRecord(path: string, record: GenerationRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(partial, path);
}

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * Reads a generation record; a missing or unreadable one is a configuration
 * error naming the file and the fix (generate again).
 */
export function readGenerationRecord(path: string, shown: string = path): GenerationRecord {
  const fix = 'run `nx run gpu-upstream:generate` (parity depends on it; it was skipped or its output removed)';
  if (!existsSync(path)) throw new BuildConfigurationError(`${shown} not found: the gpu stream's generation is not recorded: ${fix}`);
  let data: Partial<GenerationRecord>;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as Partial<GenerationRecord>;
  } catch (error) {
    throw new BuildConfigurationError(`${shown} is not valid JSON (${(error as Error).message}): ${fix}`);
  }
  const valid =
    data?.version === 1 &&
    isText(data.context) &&
    isText(data.dockerfileSha256) &&
    isText(data.layout) &&
    [data.gpuJupyter, data.dockerStacks].every((pin) => !!pin && isText(pin.repository) && isText(pin.commitSetting) && isText(pin.commit));
  if (!valid) throw new BuildConfigurationError(`${shown} is not a generation record of this version: ${fix}`);
  return data as GenerationRecord;
}
