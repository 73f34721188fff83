/**
 * The registry client against the real CNCF registry (distribution 2.8, htpasswd
 * auth) that tools/scripts/e2e-services.sh starts, with an image pushed by podman.
 * Needs the services: it FAILS, not skips, when they are not running.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Credentials } from './credentials';
import { RegistryAuthError, RegistryUnreachableError } from './errors';
import { readE2eServices, type E2eServices } from '../../../../e2e/support/e2e-services';
import { freePort } from '../../../../e2e/support/free-port';
import { accessLogSize, blobGets, waitForAccessLog } from '../../../../e2e/support/registry-access-log';
import { RegistryClient } from './registry-client';

jest.setTimeout(180_000);

// The script also declares the registry insecure in registries.conf.d; the flag keeps this test independent of that.
const TLS_OFF = ['--tls-verify=false'];

function run(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  try {
    return execFileSync(command, args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`${command} ${args[0]} failed: ${stderr || (error as Error).message}`);
  }
}

describe('RegistryClient against the e2e registry', () => {
  let services: E2eServices;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let client: RegistryClient;
  let repository: string;
  let image: string;
  let pushedDigest: string;

  beforeAll(() => {
    services = readE2eServices();
    work = mkdtempSync(join(tmpdir(), 'kf-registry-it-'));
    // A private auth file: the test neither reads nor changes the machine's logins.
    env = { ...process.env, REGISTRY_AUTH_FILE: join(work, 'auth.json') };
    repository = `kf-e2e/registry-client-${process.pid}-${Date.now().toString(36)}`;
    image = `${services.registry}/${repository}:content-1`;

    run('podman', ['login', ...TLS_OFF, '--username', services.user, '--password-stdin', services.registry], env, services.password);
    const context = join(work, 'context');
    mkdirSync(context);
    copyFileSync('/bin/busybox', join(context, 'busybox'));
    // A unique RUN layer, so that a pull below has to fetch blobs again.
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox echo ${repository} > /id"]\n`,
    );
    run('podman', ['build', '-q', '-t', image, context], env);
    run('podman', ['push', ...TLS_OFF, '--digestfile', join(work, 'digest'), image], env);
    pushedDigest = readFileSync(join(work, 'digest'), 'utf8').trim();
    client = new RegistryClient({ env: { REGISTRY_AUTH_FILE: env.REGISTRY_AUTH_FILE, HOME: work } });
  });

  afterAll(() => {
    if (image) {
      try {
        execFileSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reads the login podman wrote and finds the pushed tag by digest', async () => {
    expect(pushedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await client.manifestDigest(image)).toBe(pushedDigest);
  });

  it('returns null for a tag that does not exist, and for a repository that does not exist', async () => {
    expect(await client.manifestDigest(`${services.registry}/${repository}:no-such-tag`)).toBeNull();
    expect(await client.manifestDigest(`${services.registry}/kf-e2e/no-such-repo-${process.pid}:x`)).toBeNull();
  });

  it('retags registry-side: same digest under the new tags, and no blob read', async () => {
    const offset = accessLogSize(services);
    const digest = await client.retag(image, ['1a2b3c4', 'main']);
    expect(digest).toBe(pushedDigest);
    expect(await client.manifestDigest(`${services.registry}/${repository}:1a2b3c4`)).toBe(pushedDigest);
    expect(await client.manifestDigest(`${services.registry}/${repository}:main`)).toBe(pushedDigest);
    expect((await client.listTags(`${services.registry}/${repository}`)).sort()).toEqual(['1a2b3c4', 'content-1', 'main']);

    const log = await waitForAccessLog(services, offset, (text) => text.includes(`PUT /v2/${repository}/manifests/main `));
    // The access log is live (our PUTs are in it) and shows no blob traffic.
    expect(log).toContain(`"PUT /v2/${repository}/manifests/1a2b3c4 HTTP/1.1" 201`);
    expect(log).toContain(`"PUT /v2/${repository}/manifests/main HTTP/1.1" 201`);
    expect(log.split('\n').filter((line) => line.includes(`/v2/${repository}/blobs/`))).toEqual([]);
  });

  it('records blob GETs with their byte counts in the access log, as the bench reads them', async () => {
    const response = await fetch(`http://${services.registry}/v2/${repository}/manifests/content-1`, {
      headers: {
        Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        Authorization: new Credentials(services.user, services.password).basicAuthorization(),
      },
    });
    expect(response.status).toBe(200);
    const manifest = (await response.json()) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
    const sizes = new Map([manifest.config, ...manifest.layers].map((d) => [d.digest, d.size]));

    run('podman', ['rmi', '-f', image], env);
    const offset = accessLogSize(services);
    run('podman', ['pull', ...TLS_OFF, '-q', image], env);
    const log = await waitForAccessLog(services, offset, (text) => text.includes(manifest.config.digest));
    const gets = blobGets(log);
    expect(gets.length).toBeGreaterThan(0);
    for (const get of gets) {
      expect(get.repository).toBe(repository);
      expect(get.status).toBe(200);
      expect(get.bytes).toBe(sizes.get(get.digest));
    }
  });

  it('wrong password → RegistryAuthError that names the registry and the fix', async () => {
    const wrong = new RegistryClient({ credentials: new Credentials(services.user, 'not-the-password') });
    const error = await wrong.manifestDigest(image).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryAuthError);
    expect((error as Error).message).toBe(
      `registry ${services.registry} refused our credentials for ${repository} (HTTP 401): run \`podman login ${services.registry}\` (or docker login) with a valid account`,
    );
    await expect(wrong.retag(image, ['never'])).rejects.toThrow(RegistryAuthError);
    expect(await client.manifestDigest(`${services.registry}/${repository}:never`)).toBeNull();
  });

  it('no login at all → RegistryAuthError saying none was found', async () => {
    const anonymous = new RegistryClient({ authFiles: [join(work, 'no-such-auth.json')] });
    await expect(anonymous.manifestDigest(image)).rejects.toThrow(
      `registry ${services.registry} requires credentials for ${repository} (HTTP 401) and none were found: run \`podman login ${services.registry}\` (or docker login)`,
    );
  });

  it('registry on a closed port → RegistryUnreachableError', async () => {
    const port = await freePort();
    const error = await client.manifestDigest(`localhost:${port}/${repository}:content-1`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect((error as Error).message).toBe(`registry localhost:${port} is not reachable (connection refused): start it or fix IMAGE_REGISTRY`);
  });
});
