import { BuildConfigurationError } from '../errors';
import { failureReason, lastLine, type Cli, type EngineName } from '../engine/engine-cli';
import { hasImage } from '../engine/local-images';

/** How the image gets into the runtime that will run it. */
export type ImagePlacement =
  /** The runtime has it already. */
  | { kind: 'present' }
  /** Only the other engine has it (e.g. podman built it, docker runs it): copy it over with podman. */
  | { kind: 'transfer'; from: EngineName; to: EngineName }
  /** Neither has it: the runtime pulls it when it starts the container (a pushed image). */
  | { kind: 'pull' };

/**
 * Content tags are derived from the image's inputs, so the same reference in
 * either engine is the same image: presence of the tag is all that matters.
 */
export function planPlacement(runtime: EngineName, inRuntime: boolean, inOther: boolean): ImagePlacement {
  if (inRuntime) return { kind: 'present' };
  if (inOther) return { kind: 'transfer', from: runtime === 'docker' ? 'podman' : 'docker', to: runtime };
  return { kind: 'pull' };
}

/** The podman command that copies the image between the engines' storages. */
export function transferArgs(placement: { from: EngineName; to: EngineName }, image: string): string[] {
  return placement.to === 'docker' ? ['push', '--quiet', image, `docker-daemon:${image}`] : ['pull', '--quiet', `docker-daemon:${image}`];
}

export function otherRuntime(runtime: EngineName): EngineName {
  return runtime === 'docker' ? 'podman' : 'docker';
}

/**
 * Makes sure `runtime` can run `image`: found there, copied from the other
 * engine's storage (said in the log), or left for the runtime to pull.
 */
export async function placeImage(
  image: string,
  runtime: Cli,
  other: Cli,
  podman: Cli,
  log: (line: string) => void,
  /** When neither storage has the image: rebuilds it into the building engine, or says the registry has it (the runtime pulls it). */
  restore?: (image: string) => Promise<'restored' | 'in-registry'>,
): Promise<ImagePlacement> {
  let inRuntime = await hasImage(runtime, image);
  let inOther = inRuntime ? false : await hasImage(other, image);
  if (!inRuntime && !inOther && restore && (await restore(image)) === 'restored') {
    inRuntime = await hasImage(runtime, image);
    inOther = inRuntime ? false : await hasImage(other, image);
    if (!inRuntime && !inOther) throw new BuildConfigurationError(`${image} was restored, yet neither ${runtime.name} nor ${other.name} lists it: check the engines' storage`);
  }
  const placement = planPlacement(runtime.name, inRuntime, inOther);
  if (placement.kind === 'pull') {
    log(`${image} is in neither ${runtime.name}'s nor ${other.name}'s storage: ${runtime.name} will pull it`);
  }
  if (placement.kind !== 'transfer') return placement;
  const args = transferArgs(placement, image);
  log(`${image} is in ${placement.from}'s storage but not ${placement.to}'s: copying it (podman ${args.join(' ')})`);
  const result = await podman.run(args, { timeoutMs: 30 * 60_000 });
  if (result.code !== 0) {
    throw new BuildConfigurationError(
      `cannot copy ${image} from ${placement.from} to ${placement.to} (${failureReason(result)}): copy it yourself (podman ${args.join(' ')}) or set IMAGE_RUNTIME=${placement.from}`,
    );
  }
  if (placement.to === 'podman') {
    // A docker-daemon pull names the image docker.io/library/<name>; give it the reference the record names.
    const id = lastLine(result.stdout);
    const tagged = await podman.run(['tag', id, image]);
    if (tagged.code !== 0) throw new BuildConfigurationError(`cannot tag ${id} as ${image} in podman: ${lastLine(tagged.stderr)}`);
  }
  return placement;
}
