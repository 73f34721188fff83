import type { Stream } from '../hierarchy/image-graph';
import { UnreadableRecordError } from './build-record';

/**
 * Writes the record of `project`'s `stream` again, from the project's plan and
 * the image the engine or the registry holds; throws when it cannot.
 */
export type RecordHealer = (project: string, stream: Stream) => Promise<void>;

/**
 * Runs `attempt`; when it stops at a build record that is missing or broken
 * (the Nx cache can restore a truncated file, or none at all, and replays
 * it on every run), heals that record and tries again. Each record is healed
 * at most once per call, so a heal that writes nothing usable ends in the
 * record's own error instead of a loop.
 */
export async function withHealedRecords<T>(
  attempt: () => T | Promise<T>,
  heal: RecordHealer,
  log: (line: string) => void,
): Promise<T> {
  const healed = new Set<string>();
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof UnreadableRecordError)) throw error;
      const key = `${error.project}:${error.stream}`;
      if (healed.has(key)) throw error;
      healed.add(key);
      log(`build record of ${error.project} (${error.stream}) ${error.problem}: re-deriving it from ${error.project}'s plan and its image`);
      await heal(error.project, error.stream);
    }
  }
}

/**
 * One heal per record at a time in this process: sibling builds of a batch
 * that find the same parent record broken wait for one re-derivation.
 */
export function sharedHealer(heal: RecordHealer): RecordHealer {
  const running = new Map<string, Promise<void>>();
  return (project, stream) => {
    const key = `${project}:${stream}`;
    let pending = running.get(key);
    if (!pending) {
      pending = heal(project, stream).finally(() => running.delete(key));
      running.set(key, pending);
    }
    return pending;
  };
}
