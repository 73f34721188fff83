/**
 * A CNCF distribution registry of a suite's own (`docker-registry serve`, the
 * same package tools/scripts/e2e-services.sh runs), for suites that do what
 * the shared registry must not suffer: deleting manifests, or pushing images
 * whose dates the test chooses. htpasswd auth and deletes enabled, on a free
 * 127.0.0.1 port; stop() ends exactly the process it started.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseRepository } from '@kubeflow-images/plugin-lib/registry/image-reference';
import { freePort } from './free-port';

export interface PrivateRegistry {
  /** host:port, as image references name it */
  host: string;
  user: string;
  password: string;
  /** A podman-style auth.json holding the login (for REGISTRY_AUTH_FILE). */
  authFile: string;
  stop(): Promise<void>;
}

async function waitForRegistry(url: string, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer ${url} with 401: ${readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ')}`);
}

export async function startPrivateRegistry(): Promise<PrivateRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'kf-registry-'));
  const user = 'kf-prune';
  const password = createHash('sha256').update(`${dir}${Date.now()}`).digest('hex').slice(0, 24);
  // distribution's htpasswd auth accepts bcrypt only (-B), as in e2e-services.sh.
  writeFileSync(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${dir}/data`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${password}-secret`,
      'auth:',
      '  htpasswd:',
      '    realm: kf-prune',
      `    path: ${dir}/htpasswd`,
      '',
    ].join('\n'),
  );
  const log = join(dir, 'registry.log');
  const out = openSync(log, 'a');
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', out, out] });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const host = `127.0.0.1:${port}`;
  try {
    await waitForRegistry(`http://${host}/v2/`, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  const authFile = join(dir, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
  return { host, user, password, authFile, stop };
}

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
/** An empty tar archive: two 512-byte zero blocks. */
const EMPTY_TAR = Buffer.alloc(1024);
const EMPTY_LAYER = gzipSync(EMPTY_TAR);

/** Who pushes through the registry API: a suite's own registry, or the shared e2e one. */
export type RegistryLogin = Pick<PrivateRegistry, 'host' | 'user' | 'password'>;

/** The registry HTTP API with a basic-auth login: raw requests, and blob uploads. */
function registryApi(registry: RegistryLogin) {
  const authorization = `Basic ${Buffer.from(`${registry.user}:${registry.password}`).toString('base64')}`;
  const api = async (method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Response> => {
    const url = /^https?:/.test(path) ? path : `http://${registry.host}${path}`;
    const response = await fetch(url, { method, body, headers: { Authorization: authorization, ...headers } });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    return response;
  };
  const pushBlob = async (repository: string, bytes: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = sha256(bytes);
    const started = await api('POST', `/v2/${repository}/blobs/uploads/`);
    const location = new URL(started.headers.get('location')!, `http://${registry.host}`);
    location.searchParams.set('digest', digest);
    await api('PUT', location.toString(), bytes, { 'Content-Type': 'application/octet-stream' });
    return { digest, size: bytes.length };
  };
  return { api, pushBlob };
}

/**
 * Pushes a one-layer OCI image built on `created` (its config's date, which is
 * all retention reads) to `<host>/<repository>` through the registry API, tags
 * it with every one of `tags`, and returns its manifest digest. `label` makes
 * images of the same date distinct.
 */
export async function pushDatedImage(registry: RegistryLogin, repositoryName: string, tags: string[], created: Date, label: string): Promise<string> {
  const { repository } = parseRepository(repositoryName);
  const { api, pushBlob } = registryApi(registry);
  const layer = await pushBlob(repository, EMPTY_LAYER);
  const config = await pushBlob(
    repository,
    Buffer.from(
      JSON.stringify({
        created: created.toISOString(),
        architecture: 'amd64',
        os: 'linux',
        config: { Labels: { 'kf.test': label } },
        rootfs: { type: 'layers', diff_ids: [sha256(EMPTY_TAR)] },
        history: [{ created: created.toISOString(), created_by: 'registry-prune e2e' }],
      }),
    ),
  );
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
  for (const tag of tags) await api('PUT', `/v2/${repository}/manifests/${tag}`, manifest, { 'Content-Type': mediaType });
  return sha256(manifest);
}

/**
 * Pushes under `tag` a copy of the image `<repository>:<sourceTag>` (a single
 * manifest) whose config says it was built on `created`: the same layers,
 * dated as the test needs. Returns the copy's manifest digest.
 */
export async function pushRedatedCopy(registry: RegistryLogin, repositoryName: string, sourceTag: string, tag: string, created: Date): Promise<string> {
  const { repository } = parseRepository(repositoryName);
  const { api, pushBlob } = registryApi(registry);
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const source = await api('GET', `/v2/${repository}/manifests/${sourceTag}`, undefined, { Accept: accept });
  const mediaType = source.headers.get('content-type') ?? 'application/vnd.oci.image.manifest.v1+json';
  const manifest = (await source.json()) as { config: { digest: string; size: number; mediaType: string } };
  const config = (await (await api('GET', `/v2/${repository}/blobs/${manifest.config.digest}`)).json()) as { created?: string };
  const redated = await pushBlob(repository, Buffer.from(JSON.stringify({ ...config, created: created.toISOString() })));
  const copy = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, ...redated } }));
  await api('PUT', `/v2/${repository}/manifests/${tag}`, copy, { 'Content-Type': mediaType });
  return sha256(copy);
}
