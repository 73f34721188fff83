import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cli } from '../engine/engine-cli';
import { OWNER_BUILD_ARG, parseOwner, type BuildOwner } from './ownership';

/** A container podman's builds (buildah) made, outside podman's own containers: `podman ps --external`. */
export interface WorkingContainer {
  id: string;
  name: string;
  /** Who made it, from its build args; null for a container no build of ours made. */
  owner: BuildOwner | null;
}

/** The owner a build's state (buildah.json) names among its build args. */
export function ownerOfBuildState(state: string): BuildOwner | null {
  try {
    const args = (JSON.parse(state) as { Args?: Record<string, string> }).Args;
    return parseOwner(args?.[OWNER_BUILD_ARG]);
  } catch {
    return null;
  }
}

/**
 * podman's working containers, each with the owner its build state names.
 * podman shows no build args for them; containers/storage keeps each
 * container's build state in <graph root>/<driver>-containers/<id>/userdata.
 */
export async function workingContainers(podman: Cli): Promise<WorkingContainer[]> {
  const [info, listed] = await Promise.all([
    podman.run(['info', '--format', '{{.Store.GraphRoot}}\t{{.Store.GraphDriverName}}'], { timeoutMs: 60_000 }),
    podman.run(['ps', '--all', '--external', '--no-trunc', '--format', '{{.ID}}\t{{.Names}}'], { timeoutMs: 60_000 }),
  ]);
  if (info.code !== 0 || listed.code !== 0) return [];
  const [graphRoot, driver] = info.stdout.trim().split('\t');
  return listed.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name = ''] = line.split('\t');
      let state = '';
      try {
        state = readFileSync(join(graphRoot, `${driver}-containers`, id, 'userdata', 'buildah.json'), 'utf8');
      } catch {
        // A container of podman's own, or one removed meanwhile: no build state.
      }
      return { id, name, owner: state ? ownerOfBuildState(state) : null };
    });
}

/** Removes working containers (unmounting their layers); says how many it could not. */
export async function removeWorkingContainers(podman: Cli, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await podman.run(['rm', '--force', ...ids], { timeoutMs: 60_000 });
  return result.code === 0 ? 0 : ids.length - result.stdout.split('\n').filter(Boolean).length;
}
