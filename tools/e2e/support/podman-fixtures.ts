import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { E2eServices } from './e2e-services';

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
  };
  login(machine, services, password);
  return machine;
}

function login(machine: PodmanMachine, services: E2eServices, password: string): void {
  // Writing the auth file directly also lets a test hold a wrong password, which `podman login` would refuse.
  const auth = Buffer.from(`${services.user}:${password}`).toString('base64');
  writeFileSync(machine.env.REGISTRY_AUTH_FILE!, JSON.stringify({ auths: { [services.registry]: { auth } } }));
}

function podmanStorageDriver(): string {
  return execFileSync('podman', ['info', '--format', '{{.Store.GraphDriverName}}'], { encoding: 'utf8' }).trim();
}

/**
 * Stands in for docker-stacks' datascience-notebook: scratch plus Debian's
 * static busybox, with a lineage file every fixture image appends to.
 */
export function pushFixtureUpstream(machine: PodmanMachine, reference: string): void {
  const context = join(machine.dir, 'upstream');
  mkdirSync(context, { recursive: true });
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
      'RUN echo upstream > /lineage',
      '',
    ].join('\n'),
  );
  machine.podman(['build', '--quiet', '--tag', reference, context]);
  machine.podman(['push', '--quiet', reference]);
}

/** A fixture Dockerfile keeping the contract: ARG BASE_CONTAINER, FROM it, append own name to /lineage. */
export function fixtureDockerfile(name: string, extraRun = ''): string {
  return ['ARG BASE_CONTAINER', 'FROM $BASE_CONTAINER', `RUN echo ${name} >> /lineage${extraRun ? ` && ${extraRun}` : ''}`, ''].join('\n');
}
