import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';

/** The port the notebook server listens on inside the container (docker-stacks and Kubeflow's default). */
export const NOTEBOOK_PORT = 8888;

/** Marks every container this workspace starts, so a leftover one can be found: `docker ps -a --filter label=io.kubeflow-images.role`. */
export const ROLE_LABEL = 'io.kubeflow-images.role';
export const TARGET_LABEL = 'io.kubeflow-images.target';

/** NB_PREFIX as Kubeflow sets it: absolute, ending with a slash, URL-safe. */
export function normalizeNbPrefix(prefix: string, source = 'nbPrefix'): string {
  const trimmed = prefix.trim();
  if (!/^\/[A-Za-z0-9._~\/-]*$/.test(trimmed) || trimmed.includes('//')) {
    throw new BuildConfigurationError(
      `${source} "${prefix}" is not a URL path like /notebook/<namespace>/<name>/: use letters, digits, ".", "_", "-", "~" and single slashes`,
    );
  }
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/** A Kubeflow-shaped path segment: lower case, digits and dashes. */
export function pathSegment(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** The prefix container tests serve under: /notebook/<namespace>/<name>/ as Kubeflow would. */
export function defaultTestPrefix(project: string, stream: Stream): string {
  return `/notebook/kf-test/${pathSegment(project)}-${stream}/`;
}

/** A container name that says who started it and cannot clash with a parallel run. */
export function containerName(role: 'test' | 'serve' | 'inspect', project: string, stream: Stream, unique: string): string {
  return `kf-${role}-${pathSegment(project)}-${stream}-${pathSegment(unique)}`;
}

export interface RunArgsInput {
  image: string;
  name: string;
  role: 'test' | 'serve';
  target: string;
  nbPrefix: string;
  /** Host address the port is published on. */
  host: string;
  /** Host port; omitted, the runtime picks a free one (read it back with `port`). */
  hostPort?: number;
  /** Value for --gpus (e.g. "all"); omitted, no GPU is requested. */
  gpus?: string;
  env?: Record<string, string>;
}

/**
 * `run` arguments that start the image as a user would: detached, its own
 * command, NB_PREFIX set, the notebook port published. Not --rm: the log must
 * survive a container that exits, and the caller removes the container itself.
 */
export function runArgs(input: RunArgsInput): string[] {
  const publish = `${input.host.includes(':') ? `[${input.host}]` : input.host}:${input.hostPort ?? ''}:${NOTEBOOK_PORT}`;
  const args = [
    'run',
    '--detach',
    '--name',
    input.name,
    '--label',
    `${ROLE_LABEL}=${input.role}`,
    '--label',
    `${TARGET_LABEL}=${input.target}`,
    '--publish',
    publish,
    '--env',
    `NB_PREFIX=${input.nbPrefix}`,
  ];
  for (const [key, value] of Object.entries(input.env ?? {})) args.push('--env', `${key}=${value}`);
  if (input.gpus) args.push('--gpus', input.gpus);
  args.push(input.image);
  return args;
}

/** The host port from `docker port <c> 8888/tcp` (one line per address: "127.0.0.1:49153", "[::]:49153"). */
export function parsePublishedPort(output: string): number | null {
  for (const line of output.split('\n')) {
    const match = /:(\d+)\s*$/.exec(line.trim());
    if (match) return Number(match[1]);
  }
  return null;
}

/** The address to open: the published host address (localhost when bound to every address). */
export function notebookUrl(host: string, port: number, nbPrefix: string): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}${nbPrefix}`;
}
