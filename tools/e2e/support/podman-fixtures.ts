import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, copyFileSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { e2eEngine } from './e2e-engine';
import type { E2eServices } from './e2e-services';
import { CPU_UPSTREAM_KEY, formatUpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';

/**
 * One podman "machine": its own image storage and its own login file, so a
 * test can stand for a fresh CI runner without touching the host's podman.
 */
export interface PodmanMachine {
  dir: string;
  env: NodeJS.ProcessEnv;
  podman(args: string[]): string;
  /** Reads a file out of an image without running it (podman run cannot run here). */
  readFile(image: string, path: string): string;
  /** Deletes its storage, first releasing a mount podman may have left in it. */
  remove(): void;
}

export function createPodmanMachine(services: E2eServices, password = services.password): PodmanMachine {
  const dir = mkdtempSync(join(tmpdir(), 'kf-podman-'));
  const storageConf = join(dir, 'storage.conf');
  writeFileSync(
    storageConf,
    `[storage]\ndriver = "${podmanStorageDriver()}"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/run"\n`,
  );
  // podman 4.3 speaks https even to localhost registries unless told they are insecure.
  const registriesConf = join(dir, 'registries.conf');
  writeFileSync(registriesConf, `unqualified-search-registries = []\n\n[[registry]]\nlocation = "${services.registry}"\ninsecure = true\n`);
  const env: NodeJS.ProcessEnv = {
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
  };
  const machine: PodmanMachine = {
    dir,
    env,
    podman(args) {
      return execFileSync('podman', args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    },
    readFile(image, path) {
      const container = machine.podman(['create', image, 'true']);
      try {
        const out = join(dir, `read-${Date.now()}`);
        machine.podman(['cp', `${container}:${path}`, out]);
        return readFileSync(out, 'utf8');
      } finally {
        machine.podman(['rm', '-f', container]);
      }
    },
    remove() {
      // podman 4.3 leaves its overlay home (storage/overlay) bind-mounted when a command fails,
      // e.g. `image inspect` of an image it does not have (what a build that reuses a registry image
      // asks on a fresh runner); deleting it then fails with EBUSY. Any command that exits cleanly unmounts it.
      if (mountsUnder(dir).length > 0) machine.podman(['images', '--quiet']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  login(machine, services, password);
  return machine;
}

function login(machine: PodmanMachine, services: E2eServices, password: string): void {
  // Writing the auth file directly also lets a test hold a wrong password, which `podman login` would refuse.
  const auth = Buffer.from(`${services.user}:${password}`).toString('base64');
  writeFileSync(machine.env.REGISTRY_AUTH_FILE!, JSON.stringify({ auths: { [services.registry]: { auth } } }));
}

let storageDriver: string | undefined;
function podmanStorageDriver(): string {
  storageDriver ??= execFileSync('podman', ['info', '--format', '{{.Store.GraphDriverName}}'], { encoding: 'utf8' }).trim();
  return storageDriver;
}

function mountsUnder(dir: string): string[] {
  if (!existsSync('/proc/mounts')) return [];
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`));
}

/**
 * Builds an image from scratch plus Debian's static busybox (no base image can
 * be pulled here), then `lines` of Dockerfile; `files` are written into its
 * context first (name → content, executable).
 */
export function buildBusyboxImage(machine: PodmanMachine, reference: string, lines: string[], files: Record<string, string> = {}): void {
  const context = join(machine.dir, `image-${reference.replace(/[^a-z0-9]+/gi, '-')}`);
  mkdirSync(context, { recursive: true });
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(context, name), content, { mode: 0o755 });
  writeFileSync(
    join(context, 'Dockerfile'),
    ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', ...lines, ''].join('\n'),
  );
  machine.podman(['build', '--quiet', '--tag', reference, context]);
}

/** Pushes an image and returns the registry's digest of it: what `npm run pins` would lock. */
export function pushForDigest(machine: PodmanMachine, reference: string): string {
  const digestFile = join(machine.dir, `digest-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  machine.podman(['push', '--quiet', '--digestfile', digestFile, reference]);
  return readFileSync(digestFile, 'utf8').trim();
}

/**
 * Stands in for docker-stacks' datascience-notebook, with a lineage file every
 * fixture image appends to (`content` tells two pushes of the same tag apart).
 * Returns the pushed digest, for the fixture's upstream-lock.json.
 */
export function pushFixtureUpstream(machine: PodmanMachine, reference: string, content = 'upstream'): string {
  buildBusyboxImage(machine, reference, [`RUN echo ${content} > /lineage`]);
  return pushForDigest(machine, reference);
}

/** upstream-lock.json of a fixture workspace: each key locked to the digest its image was pushed with. */
export function fixtureUpstreamLock(upstreams: Record<string, { reference: string; digest: string }>): string {
  const entries = Object.entries(upstreams).map(([key, { reference, digest }]) => [key, { reference, digest, checkedAt: '2026-01-01T00:00:00.000Z' }]);
  return formatUpstreamLock({ version: 1, upstreams: Object.fromEntries(entries) });
}

/** The lock of a workspace whose cpu root is the fixture upstream `reference`, pushed with `digest`. */
export const fixtureCpuLock = (reference: string, digest: string): string => fixtureUpstreamLock({ [CPU_UPSTREAM_KEY]: { reference, digest } });

/**
 * build_settings.env of a fixture workspace: the cpu root is `upstream` (repository:tag), the e2e engine
 * builds (E2E_ENGINE), no gpu sources; `overrides` replaces the value of the keys it names (gpu sources, IMAGE_REGISTRY).
 */
export function fixtureBuildSettings(upstream: string, overrides: Record<string, string> = {}): string {
  const separator = upstream.lastIndexOf(':');
  const values: Record<string, string> = {
    UPSTREAM_CONTAINER_CPU_UNTAGGED: upstream.slice(0, separator),
    UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: upstream.slice(separator + 1),
    UPSTREAM_CONTAINER_CPU: '${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
    DOCKER_STACKS_REPO: '/nonexistent/docker-stacks',
    GPU_JUPYTER_REPO: '/nonexistent/gpu-jupyter',
    GPU_JUPYTER_HEAD_COMMIT: '0000000000000000000000000000000000000000',
    IMAGE_REGISTRY: '',
    IMAGE_ENGINE: e2eEngine(),
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in values)) throw new Error(`fixtureBuildSettings: ${key} is not a fixture setting`);
    values[key] = value;
  }
  return [...Object.entries(values).map(([key, value]) => `${key}=${value}`), ''].join('\n');
}

/**
 * A fixture Dockerfile keeping the contract: ARG BASE_CONTAINER, FROM it, append own name to /lineage.
 * `buildArgs` are declared after FROM, as plan refuses a build arg the Dockerfile does not declare.
 */
export function fixtureDockerfile(name: string, extraRun = '', buildArgs: readonly string[] = []): string {
  const run = `RUN echo ${name} >> /lineage${extraRun ? ` && ${extraRun}` : ''}`;
  return ['ARG BASE_CONTAINER', 'FROM $BASE_CONTAINER', ...buildArgs.map((arg) => `ARG ${arg}`), run, ''].join('\n');
}
