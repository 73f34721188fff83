import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';
import { normalizeNbPrefix, notebookUrl, pathSegment, runArgs } from '../image-runtime/container-args';

export const DEFAULT_SERVE_PORT = 8888;

/** Kubeflow's shape, with the local user as namespace: /notebook/<user>/<project>/. */
export function defaultServePrefix(user: string, project: string): string {
  return `/notebook/${pathSegment(user)}/${pathSegment(project)}/`;
}

export interface ServeOptionsInput {
  port?: number;
  host?: string;
  nbPrefix?: string;
}

export interface ServeSettings {
  port: number;
  host: string;
  nbPrefix: string;
}

/** The serve target's options with their defaults, validated. */
export function serveSettings(options: ServeOptionsInput, user: string, project: string): ServeSettings {
  const port = options.port ?? DEFAULT_SERVE_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BuildConfigurationError(`port ${options.port} is not a TCP port: pass --port=<1-65535>`);
  }
  return {
    port,
    // The notebook has no token behind Kubeflow's gateway: keep it off the network unless asked.
    host: options.host ?? '127.0.0.1',
    nbPrefix: normalizeNbPrefix(options.nbPrefix ?? defaultServePrefix(user, project)),
  };
}

/** `run` arguments of a serve container: the chosen host port, NB_PREFIX, detached (its log is followed separately). */
export function serveRunArgs(input: {
  image: string;
  name: string;
  task: string;
  settings: ServeSettings;
  gpus?: string;
}): string[] {
  return runArgs({
    image: input.image,
    name: input.name,
    role: 'serve',
    target: input.task,
    nbPrefix: input.settings.nbPrefix,
    host: input.settings.host,
    hostPort: input.settings.port,
    gpus: input.gpus,
  });
}

export function serveUrl(settings: ServeSettings): string {
  return notebookUrl(settings.host, settings.port, settings.nbPrefix);
}

/** Whether `run` failed because the host port is taken. */
export function portInUse(stderr: string): boolean {
  return /port is already allocated|address already in use|bind: .*in use/i.test(stderr);
}

export function portInUseMessage(settings: ServeSettings, stream: Stream): string {
  return `port ${settings.port} on ${settings.host} is already in use (another notebook?): stop it, or pass --port=<free port> to serve-${stream}`;
}
