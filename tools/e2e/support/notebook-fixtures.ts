import { execFileSync } from 'node:child_process';
import { buildBusyboxImage, pushForDigest, type PodmanMachine } from './podman-fixtures';

/**
 * The fixture notebook server: busybox httpd serving a page under $NB_PREFIX
 * on port 8888, as Kubeflow expects of a notebook image. It makes the prefix
 * directory at start, so only the prefix the container is given answers, and
 * stops on SIGTERM.
 */
export const FIXTURE_START_SCRIPT = [
  '#!/bin/sh',
  'set -e',
  'www=/tmp/www',
  'mkdir -p "$www$NB_PREFIX"',
  'echo "fixture notebook under $NB_PREFIX" > "$www${NB_PREFIX}index.html"',
  'echo "fixture: serving $NB_PREFIX on :8888 as uid $(id -u)"',
  'httpd -f -v -p 8888 -h "$www" &',
  '# Stops on SIGTERM as docker-stacks images do (tini forwards it to the server).',
  "trap 'kill $!; exit 0' TERM INT",
  'wait',
  '',
].join('\n');

/**
 * Stands in for docker-stacks' datascience-notebook where no base image can
 * be pulled: scratch plus Debian's static busybox, a user jovyan (uid 1000)
 * owning HOME and CONDA_DIR, the start script above as CMD, and a lineage
 * file every fixture image appends to. Returns the pushed digest, for the
 * fixture's upstream-lock.json.
 */
export function pushNotebookFixtureUpstream(machine: PodmanMachine, reference: string): string {
  buildBusyboxImage(
    machine,
    reference,
    [
      'RUN mkdir -p /etc /tmp /home/jovyan /opt/conda /usr/local/bin && chmod 1777 /tmp && \\',
      "    echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && \\",
      "    echo 'jovyan:x:1000:100::/home/jovyan:/bin/sh' >> /etc/passwd && \\",
      "    printf 'root:x:0:\\nusers:x:100:\\n' > /etc/group && \\",
      '    chown -R 1000:100 /home/jovyan /opt/conda && \\',
      '    echo upstream > /lineage',
      'COPY start-notebook.sh /usr/local/bin/start-notebook.sh',
      'ENV NB_USER=jovyan HOME=/home/jovyan CONDA_DIR=/opt/conda NB_PREFIX=/',
      'EXPOSE 8888',
      'USER 1000',
      'CMD ["/usr/local/bin/start-notebook.sh"]',
    ],
    { 'start-notebook.sh': FIXTURE_START_SCRIPT },
  );
  return pushForDigest(machine, reference);
}

export interface NotebookFixtureOptions {
  /** Appended, as root, to the RUN that records the lineage. */
  rootRun?: string;
  /** Extra Dockerfile lines after that RUN (e.g. a CMD). */
  lines?: string[];
  /** The last USER (default 1000, the notebook user). */
  finalUser?: string;
}

/** A fixture Dockerfile keeping the house contract: ARG BASE_CONTAINER, FROM it, installs as root, ends as the notebook user. */
export function notebookFixtureDockerfile(name: string, options: NotebookFixtureOptions = {}): string {
  return [
    'ARG BASE_CONTAINER',
    'FROM $BASE_CONTAINER',
    'USER root',
    `RUN echo ${name} >> /lineage${options.rootRun ? ` && ${options.rootRun}` : ''}`,
    ...(options.lines ?? []),
    `USER ${options.finalUser ?? '1000'}`,
    '',
  ].join('\n');
}

export function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Removes what a suite copied into docker; an image never copied there is skipped. */
export function removeDockerImages(images: Iterable<string>): void {
  for (const image of images) {
    try {
      docker(['image', 'rm', '--force', image]);
    } catch {
      // Never copied into docker (e.g. a build that failed before its test).
    }
  }
}

/** Containers docker holds (running or not) that carry `label` or were made from `image`. */
export function dockerContainers(filter: { label?: string; image?: string }): string[] {
  const args = ['ps', '--all', '--quiet'];
  if (filter.label) args.push('--filter', `label=${filter.label}`);
  if (filter.image) args.push('--filter', `ancestor=${filter.image}`);
  return docker(args).split('\n').filter(Boolean);
}
