import { BuildConfigurationError } from '../errors';
import { taskProcessEnv } from '../logger';
import type { Credentials } from '../registry/credentials';
import { withHelperLogin } from '../registry/helper-login';
import { failureReason, realCli, type Cli, type EngineName } from './engine-cli';

const IMAGE_NOT_FOUND = /image not known|no such (image|object)/i;

/** Asks the engine for the image's id in its own storage. */
function imageIdArgs(reference: string): string[] {
  return ['image', 'inspect', '--format', '{{.Id}}', reference];
}

export interface LocalImage {
  /** The image's id in the engine's own storage, or null when it is not there. */
  id: string | null;
  /** The engine ran and answered, found or not found: it is installed and its storage or daemon is reachable. */
  engineAnswered: boolean;
}

/**
 * The build path's engine, asked without blocking: in a batch, builds side by
 * side share one event loop. Its processes carry the task's variables.
 */
const taskEngine = (engine: EngineName): Cli => realCli(engine, taskProcessEnv());

export async function inspectLocalImage(engine: EngineName, reference: string): Promise<LocalImage> {
  const result = await taskEngine(engine).run(imageIdArgs(reference));
  if (result.code === 0) return { id: result.stdout.trim().split('\n')[0] || null, engineAnswered: true };
  return { id: null, engineAnswered: IMAGE_NOT_FOUND.test(result.stderr) };
}

/** The id of an image in the engine's own storage, or null when it is not there (or the engine cannot say). */
export async function localImageId(engine: EngineName, reference: string): Promise<string | null> {
  return (await inspectLocalImage(engine, reference)).id;
}

/** Whether the engine's storage holds the image (asked without blocking, as container tests and inspect do). */
export async function hasImage(cli: Cli, image: string): Promise<boolean> {
  const result = await cli.run(imageIdArgs(image), { timeoutMs: 60_000 });
  return result.code === 0 && result.stdout.trim() !== '';
}

/** How a pull reaches the registry when only a docker credential helper holds its login (see helper-login.ts). */
export interface PullLogin {
  /** This process's scratch folder: the private auth file goes there, so a run killed mid-pull leaves it where the next run removes it. */
  loginDir: string;
  /** The engine CLI (default: the task's real one); a fake in unit tests. */
  cli?: Cli;
  /** Looks the login up (default: the engine's and docker's own configuration). */
  find?: (registry: string, repository: string) => Credentials | undefined;
}

/** Pulls `reference` (e.g. repository@digest) into the engine's storage and gives it the tag `as`; fails with the engine's last line. */
export async function pullAndTag(engine: EngineName, reference: string, as: string, login: PullLogin): Promise<void> {
  const cli = login.cli ?? taskEngine(engine);
  const pulled = await withHelperLogin(engine, reference, (authFile) => cli.run(['pull', '--quiet', ...(authFile ? ['--authfile', authFile] : []), reference]), {
    find: login.find,
    parentDir: login.loginDir,
  });
  if (pulled.code !== 0) throw new BuildConfigurationError(`${engine} cannot pull ${reference} (${failureReason(pulled)}): log in to its registry (${engine} login) and rerun`);
  // A record re-pinned to repo@digest names the pulled image already; a digest cannot be a tag.
  if (as.includes('@')) return;
  const tagged = await cli.run(['tag', reference, as]);
  if (tagged.code !== 0) throw new BuildConfigurationError(`${engine} cannot tag ${reference} as ${as} (${failureReason(tagged)})`);
}

/**
 * Pulls an upstream parent the engine lacks when its registry's login is one
 * only a docker credential helper holds, which podman's own pull during the
 * build could not use; any other parent is left to the build's own pull.
 */
export async function pullWithHelperLogin(engine: EngineName, reference: string, login: PullLogin): Promise<void> {
  const cli = login.cli ?? taskEngine(engine);
  await withHelperLogin(
    engine,
    reference,
    async (authFile) => {
      if (!authFile || (await hasImage(cli, reference))) return;
      const pulled = await cli.run(['pull', '--quiet', '--authfile', authFile, reference]);
      if (pulled.code !== 0) throw new BuildConfigurationError(`${engine} cannot pull the parent ${reference} (${failureReason(pulled)}): check the login the credential helper gives, and rerun`);
    },
    { find: login.find, parentDir: login.loginDir },
  );
}
