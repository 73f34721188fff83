import { BuildConfigurationError } from '../errors';
import type { BuildRecord } from '../records/build-record';
import { writtenName } from '../registry/image-reference';

/** Where a recorded image was found or how it was brought back. */
export type Availability = 'engine' | 'pulled' | 'rebuilt';

/** What bringing an image back needs; real engines and registries in the executors, fakes in tests. */
export interface AvailabilityOperations {
  /** The engine that builds ("podman"), for messages. */
  engine: string;
  inEngine(image: string): Promise<boolean>;
  /** The registry's digest for the image; null when absent or when no registry is configured for it. */
  registryDigest(image: string): Promise<string | null>;
  /** Pulls repository@digest and tags it as `image`. */
  pullByDigest(repositoryAtDigest: string, image: string): Promise<void>;
  /** Builds the image again from the record's recipe (fails when the recipe no longer gives its content tag). */
  rebuild(record: BuildRecord): Promise<void>;
  log(line: string): void;
}

/** The command that makes a recorded image again, for the one line shown when nothing else can. */
export function rebuildCommand(record: Pick<BuildRecord, 'project' | 'stream'>): string {
  return `npx nx run ${record.project}:build-${record.stream} --skip-nx-cache`;
}

/**
 * Makes the image a record names present in the engine's storage, so its
 * consumer (a child's build, a test, serve) finds it even when the record came
 * from the Nx cache and the image did not: pulled by digest when the registry
 * has it, else rebuilt from the record's recipe.
 */
export async function ensureImage(record: BuildRecord, ops: AvailabilityOperations): Promise<Availability> {
  if (await ops.inEngine(record.image)) return 'engine';
  const digest = await ops.registryDigest(record.image);
  if (digest) {
    ops.log(`${record.image} (${record.project}'s build record) is not in ${ops.engine}'s storage: pulling it from the registry by digest (${digest})`);
    await ops.pullByDigest(`${writtenName(record.image)}@${digest}`, record.image);
    return 'pulled';
  }
  const missing = `${record.image} (${record.project}'s build record, restored from the Nx cache) is not in ${ops.engine}'s storage`;
  if (!record.recipe) {
    throw new BuildConfigurationError(`${missing} nor in a registry, and the record has no recipe to rebuild it from: run ${rebuildCommand(record)}`);
  }
  ops.log(`${missing} nor in a registry: rebuilding it from its record (${record.recipe.dockerfile})`);
  await ops.rebuild(record);
  return 'rebuilt';
}
