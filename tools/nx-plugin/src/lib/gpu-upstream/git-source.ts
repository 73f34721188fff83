import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { git } from '../git/run-git';
import type { BuildSettings } from '../settings/build-settings';


function gitOrNull(cwd: string, args: string[]): string | null {
  try {
    return git(cwd, args);
  } catch {
    return null;
  }
}

/** A repository setting: a URL (https://…, git@host:…, file://…) or a local path, relative to the workspace root. */
export function repoLocation(value: string, workspaceRoot: string): string {
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^[^/\\]+@[^/\\]+:/.test(value);
  return isUrl || isAbsolute(value) ? value : join(workspaceRoot, value);
}

/** Where the bare cache of a repository lives: one per location, named for people and unique by hash. */
export function cacheDirFor(cacheRoot: string, location: string): string {
  const name = basename(location).replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'repo';
  return join(cacheRoot, `${name}-${createHash('sha256').update(location).digest('hex').slice(0, 12)}.git`);
}

/** Which setting a pin came from, for messages. */
export interface PinSource {
  /** e.g. "gpu-jupyter". */
  what: string;
  location: string;
  locationKey: string;
  commitKey: string;
  settingsFile: string;
}

/** The pin of one repository as build_settings.env gives it. */
export function pinSourceOf(settings: BuildSettings, workspaceRoot: string, what: string, locationKey: string, commitKey: string): PinSource {
  return { what, location: repoLocation(settings.values[locationKey], workspaceRoot), locationKey, commitKey, settingsFile: settings.file };
}

function fetchAll(cache: string, pin: PinSource): void {
  try {
    git(cache, ['fetch', '--quiet', '--prune', '--tags', pin.location, '+refs/heads/*:refs/heads/*']);
  } catch (error) {
    const detail = String((error as { stderr?: string }).stderr ?? error).trim().split('\n').pop();
    throw new BuildConfigurationError(
      `cannot fetch ${pin.what} from ${pin.location} (${pin.locationKey} in ${pin.settingsFile}): ${detail}: fix ${pin.locationKey} or the network`,
    );
  }
}

/**
 * Resolves a pinned commit (full or abbreviated sha) in a bare cache of the
 * repository, fetching branches and tags only when the cache does not have
 * it yet: a pin that is already there needs no network.
 */
export function resolvePinnedCommit(cacheRoot: string, commit: string, pin: PinSource): { cache: string; sha: string } {
  const cache = cacheDirFor(cacheRoot, pin.location);
  if (!existsSync(cache)) {
    mkdirSync(cache, { recursive: true });
    git(cache, ['init', '--quiet', '--bare']);
  }
  const resolve = () => gitOrNull(cache, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`]);
  let sha = resolve();
  if (!sha) {
    fetchAll(cache, pin);
    sha = resolve();
  }
  if (!sha) {
    throw new BuildConfigurationError(
      `${pin.commitKey}=${commit} (${pin.settingsFile}) is not a commit of ${pin.what} at ${pin.location} (searched its branches and tags): set ${pin.commitKey} to an existing commit of that repository`,
    );
  }
  return { cache, sha };
}

/** A throw-away working copy of one commit, detached. */
export function checkoutDetached(cache: string, sha: string, dest: string): void {
  git(cache, ['clone', '--quiet', '--no-checkout', cache, dest]);
  git(dest, ['checkout', '--quiet', '--detach', sha]);
}

/**
 * A working copy of docker-stacks for gpu-jupyter's generator, which runs
 * `git pull && git reset --hard <commit>` in it. Its branch tracks itself
 * (remote "."), so that pull is an offline no-op and the reset lands on the
 * pinned commit whatever the origin is.
 */
export function checkoutForGenerator(cache: string, sha: string, dest: string): void {
  const branch = 'kubeflow-images-pinned';
  git(cache, ['clone', '--quiet', '--no-checkout', cache, dest]);
  git(dest, ['checkout', '--quiet', '-B', branch, sha]);
  git(dest, ['config', `branch.${branch}.remote`, '.']);
  git(dest, ['config', `branch.${branch}.merge`, `refs/heads/${branch}`]);
}

export function headOf(dir: string): string | null {
  return gitOrNull(dir, ['rev-parse', 'HEAD']);
}
