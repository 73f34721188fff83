import { createServer, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import { Credentials } from './credentials';
import { InvalidImageReferenceError, ManifestNotFoundError, RegistryAuthError, RegistryError, RegistryHttpError, RegistryUnreachableError } from './errors';
import { FakeRegistry } from './fake-registry.test-helper';
import { MANIFEST_MEDIA_TYPES, RegistryClient } from './registry-client';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const manifest = (n: number) => ({ schemaVersion: 2, mediaType: DOCKER_V2, config: { digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: n } });
const noFiles: string[] = [];
const noWait = async () => undefined;

async function withRegistry(options: ConstructorParameters<typeof FakeRegistry>[0], body: (registry: FakeRegistry) => Promise<void>): Promise<void> {
  const registry = await new FakeRegistry(options).start();
  try {
    await body(registry);
  } finally {
    await registry.stop();
  }
}

async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('RegistryClient without auth', () => {
  it('asks for every manifest kind', () => {
    expect(MANIFEST_MEDIA_TYPES).toEqual(
      expect.arrayContaining([
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ]),
    );
  });

  it('returns the digest of an existing tag with one HEAD, and null for a missing tag or repository', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      const digest = registry.put('img', 'v1', manifest(1), DOCKER_V2);
      const client = new RegistryClient({ authFiles: noFiles });
      expect(await client.manifestDigest(`${registry.host}/img:v1`)).toBe(digest);
      expect(registry.requests).toEqual([{ method: 'HEAD', path: '/v2/img/manifests/v1', auth: 'none' }]);
      expect(await client.manifestDigest(`${registry.host}/img:v2`)).toBeNull();
      expect(await client.manifestDigest(`${registry.host}/nothing:v1`)).toBeNull();
      expect(await client.manifestDigest(`${registry.host}/img@${digest}`)).toBe(digest);
    }));

  it('hashes the manifest when HEAD carries no digest header', () =>
    withRegistry({ auth: 'none', omitDigestOnHead: true }, async (registry) => {
      const digest = registry.put('img', 'v1', manifest(2), OCI_INDEX);
      expect(await new RegistryClient({ authFiles: noFiles }).manifestDigest(`${registry.host}/img:v1`)).toBe(digest);
      expect(registry.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
    }));

  it('retags by copying the exact manifest bytes and media type, touching no blob', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      const digest = registry.put('team/img', 'content-abc', manifest(3), OCI_INDEX);
      const client = new RegistryClient({ authFiles: noFiles });
      expect(await client.retag(`${registry.host}/team/img:content-abc`, ['1a2b3c4', 'main', 'latest', 'main'])).toBe(digest);
      for (const tag of ['1a2b3c4', 'main', 'latest']) {
        expect(registry.stored('team/img', tag)?.bytes.equals(registry.stored('team/img', 'content-abc')!.bytes)).toBe(true);
        expect(registry.stored('team/img', tag)?.contentType).toBe(OCI_INDEX);
        expect(await client.manifestDigest(`${registry.host}/team/img:${tag}`)).toBe(digest);
      }
      expect(registry.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
        '/v2/team/img/manifests/1a2b3c4',
        '/v2/team/img/manifests/main',
        '/v2/team/img/manifests/latest',
      ]);
      expect(registry.requests.some((r) => r.path.includes('/blobs/'))).toBe(false);
    }));

  it('fails a retag of a missing tag with ManifestNotFoundError, and rejects invalid tags before any request', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      const client = new RegistryClient({ authFiles: noFiles });
      await expect(client.retag(`${registry.host}/img:nope`, ['x'])).rejects.toThrow(ManifestNotFoundError);
      await expect(client.retag(`${registry.host}/img:nope`, ['x'])).rejects.toThrow(`registry ${registry.host} has no manifest img:nope: push it first or check the tag`);
      const before = registry.requests.length;
      await expect(client.retag(`${registry.host}/img:v1`, ['bad tag'])).rejects.toThrow(InvalidImageReferenceError);
      expect(registry.requests.length).toBe(before);
    }));

  it('lists tags across pages, and [] for an unknown repository', () =>
    withRegistry({ auth: 'none', pageSize: 2 }, async (registry) => {
      for (const tag of ['a', 'b', 'c', 'd', 'e']) registry.put('img', tag, manifest(4));
      const client = new RegistryClient({ authFiles: noFiles });
      expect(await client.listTags(`${registry.host}/img`)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(registry.requests.filter((r) => r.path.endsWith('/tags/list')).length).toBe(3);
      expect(await client.listTags(`${registry.host}/unknown`)).toEqual([]);
    }));

  it('deletes a manifest by digest together with every tag on it, leaving other manifests; false when already gone', () =>
    withRegistry({ auth: 'none', deletes: true }, async (registry) => {
      const old = registry.put('team/img', 'content-old', manifest(5));
      registry.put('team/img', 'content-also-old', manifest(5));
      const kept = registry.put('team/img', 'content-new', manifest(6));
      registry.put('team/img', 'latest', manifest(6));
      const client = new RegistryClient({ authFiles: noFiles });
      expect(await client.deleteManifest(`${registry.host}/team/img`, old)).toBe(true);
      expect(registry.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([`/v2/team/img/manifests/${old}`]);
      expect(await client.listTags(`${registry.host}/team/img`)).toEqual(['content-new', 'latest']);
      expect(await client.manifestDigest(`${registry.host}/team/img@${old}`)).toBeNull();
      expect(await client.manifestDigest(`${registry.host}/team/img:latest`)).toBe(kept);
      expect(await client.deleteManifest(`${registry.host}/team/img`, old)).toBe(false);
    }));

  it('deleteManifest: a registry without deletes gets the setting to change; a tag instead of a digest is refused before any request', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      const digest = registry.put('img', 'content-a', manifest(5));
      const client = new RegistryClient({ authFiles: noFiles });
      const error = await client.deleteManifest(`${registry.host}/img`, digest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as Error).message).toBe(
        `registry ${registry.host} does not allow deleting manifests (405): enable deletes (distribution: storage.delete.enabled: true; ACR: a login with delete permission)`,
      );
      expect(await client.manifestDigest(`${registry.host}/img:content-a`)).toBe(digest);
      const before = registry.requests.length;
      await expect(client.deleteManifest(`${registry.host}/img`, 'content-a')).rejects.toThrow('"content-a" is not a sha256 digest: manifests are deleted by digest');
      expect(registry.requests.length).toBe(before);
    }));

  it('reports other HTTP errors with status, method, path and the registry own message, once the retries are spent', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      registry.failWith = 500;
      const retries: string[] = [];
      const error = await new RegistryClient({ authFiles: noFiles, sleep: noWait, onRetry: (line) => retries.push(line) }).manifestDigest(`${registry.host}/img:v1`).catch((e: unknown) => e);
      expect(retries).toHaveLength(3);
      expect(error).toBeInstanceOf(RegistryHttpError);
      expect((error as RegistryHttpError).status).toBe(500);
      expect((error as Error).message).toBe(
        `registry ${registry.host} answered HTTP 500 to HEAD /v2/img/manifests/v1: check the registry and the image name`,
      );
      const put = await new RegistryClient({ authFiles: noFiles, sleep: noWait, onRetry: () => undefined }).listTags(`${registry.host}/img`).catch((e: unknown) => e);
      expect((put as Error).message).toContain('answered HTTP 500 to GET /v2/img/tags/list (UNKNOWN: injected failure)');
    }));
});

describe('RegistryClient retries', () => {
  /** A clock that the waits move forward, so the time budget is checked without waiting. */
  function fakeTime() {
    let now = 1_000_000;
    const waits: number[] = [];
    return { waits, now: () => now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) };
  }

  it('retries a 429 after the Retry-After the registry asked for, with one line per retry, and then succeeds', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      const digest = registry.put('img', 'v1', manifest(1), DOCKER_V2);
      registry.failWith = 429;
      registry.failTimes = 2;
      registry.retryAfter = '3';
      const time = fakeTime();
      const lines: string[] = [];
      const client = new RegistryClient({ authFiles: noFiles, sleep: time.sleep, now: time.now, onRetry: (line) => lines.push(line) });
      expect(await client.manifestDigest(`${registry.host}/img:v1`)).toBe(digest);
      expect(time.waits).toEqual([3000, 3000]);
      expect(lines).toEqual([
        `registry ${registry.host}, HEAD /v2/img/manifests/v1: answered HTTP 429 (too many requests); retrying in 3 s (retry 1 of 3)`,
        `registry ${registry.host}, HEAD /v2/img/manifests/v1: answered HTTP 429 (too many requests); retrying in 3 s (retry 2 of 3)`,
      ]);
    }));

  it('backs off 1, 2, 4 s on a 5xx without Retry-After, and stops there', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      registry.failWith = 503;
      const time = fakeTime();
      const client = new RegistryClient({ authFiles: noFiles, sleep: time.sleep, now: time.now, onRetry: () => undefined });
      const error = await client.manifestDigest(`${registry.host}/img:v1`).catch((e: unknown) => e);
      expect((error as RegistryHttpError).status).toBe(503);
      expect(time.waits).toEqual([1000, 2000, 4000]);
      expect(registry.requests).toHaveLength(4);
    }));

  it('never waits past the time budget, whatever Retry-After asks', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      registry.failWith = 429;
      registry.retryAfter = '3600';
      const time = fakeTime();
      const client = new RegistryClient({ authFiles: noFiles, sleep: time.sleep, now: time.now, onRetry: () => undefined, retryPolicy: { attempts: 10, baseDelayMs: 1000, maxDelayMs: 30_000, maxTotalMs: 60_000 } });
      await expect(client.manifestDigest(`${registry.host}/img:v1`)).rejects.toThrow('answered HTTP 429');
      expect(time.waits).toEqual([30_000, 30_000]);
    }));

  it('does not retry an answer that will not change (501, 404)', () =>
    withRegistry({ auth: 'none' }, async (registry) => {
      registry.failWith = 501;
      const lines: string[] = [];
      const client = new RegistryClient({ authFiles: noFiles, sleep: noWait, onRetry: (line) => lines.push(line) });
      await expect(client.manifestDigest(`${registry.host}/img:v1`)).rejects.toThrow('answered HTTP 501');
      registry.failWith = undefined;
      expect(await client.manifestDigest(`${registry.host}/img:v1`)).toBeNull();
      expect(lines).toEqual([]);
      expect(registry.requests).toHaveLength(2);
    }));

  it('retries a connection the registry resets, and names the reset when it keeps doing so', async () => {
    const server: Server = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const lines: string[] = [];
      const error = await new RegistryClient({ authFiles: noFiles, sleep: noWait, onRetry: (line) => lines.push(line) }).manifestDigest(`${host}/img:v1`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect((error as Error).message).toMatch(new RegExp(`^registry ${host} is not reachable \\((connection reset|connection closed)\\)`));
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(new RegExp(`^registry ${host}, HEAD /v2/img/manifests/v1: (connection reset|connection closed); retrying in 1 s \\(retry 1 of 3\\)$`));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('RegistryClient with basic auth', () => {
  const users = { kf: 'right' };

  it('answers the Basic challenge with the login, then sends it up front', () =>
    withRegistry({ auth: 'basic', users }, async (registry) => {
      const digest = registry.put('img', 'v1', manifest(5));
      const client = new RegistryClient({ credentials: new Credentials('kf', 'right') });
      expect(await client.manifestDigest(`${registry.host}/img:v1`)).toBe(digest);
      expect(await client.retag(`${registry.host}/img:v1`, ['v2'])).toBe(digest);
      expect(registry.requests.map((r) => `${r.method} ${r.auth}`)).toEqual(['HEAD none', 'HEAD basic', 'GET basic', 'PUT basic']);
    }));

  it('wrong password → RegistryAuthError naming the registry, the repository and the fix, without the password', () =>
    withRegistry({ auth: 'basic', users }, async (registry) => {
      const client = new RegistryClient({ credentials: new Credentials('kf', 'wrong-secret') });
      const error = await client.manifestDigest(`${registry.host}/img:v1`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryAuthError);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as Error).message).toBe(
        `registry ${registry.host} refused our credentials for img (HTTP 401): run \`podman login ${registry.host}\` (or docker login) with a valid account`,
      );
      expect(inspect(error)).not.toContain('wrong-secret');
      expect(registry.requests.length).toBe(2); // one try with the login, no loop
    }));

  it('no login anywhere → says none were found', () =>
    withRegistry({ auth: 'basic', users }, async (registry) => {
      const error = await new RegistryClient({ authFiles: noFiles }).manifestDigest(`${registry.host}/img:v1`).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        `registry ${registry.host} requires credentials for img (HTTP 401) and none were found: run \`podman login ${registry.host}\` (or docker login)`,
      );
    }));
});

describe('RegistryClient with bearer tokens', () => {
  const users = { kf: 'right' };

  it('gets a token from the realm with the login and the scope, and reuses it', () =>
    withRegistry({ auth: 'bearer', users }, async (registry) => {
      const digest = registry.put('team/img', 'v1', manifest(6));
      const client = new RegistryClient({ credentials: new Credentials('kf', 'right') });
      expect(await client.manifestDigest(`${registry.host}/team/img:v1`)).toBe(digest);
      expect(await client.manifestDigest(`${registry.host}/team/img:v1`)).toBe(digest);
      expect(registry.tokenRequests).toEqual([{ method: 'GET', scope: ['repository:team/img:pull'], account: 'kf' }]);
      expect(await client.retag(`${registry.host}/team/img:v1`, ['a', 'b'])).toBe(digest);
      // retag asks for pull,push up front (one token for the GET and the PUTs), plus the scope the challenge named
      expect(registry.tokenRequests.map((t) => t.scope)).toEqual([['repository:team/img:pull'], ['repository:team/img:pull,push', 'repository:team/img:pull']]);
      expect(registry.requests.filter((r) => r.method === 'PUT').every((r) => r.auth === 'bearer')).toBe(true);
      expect(await client.listTags(`${registry.host}/team/img`)).toEqual(['a', 'b', 'v1']);
    }));

  it('uses a docker identity token (refresh token) with the OAuth2 POST', () =>
    withRegistry({ auth: 'bearer', refreshTokens: { 'refresh-1': 'acr-user' } }, async (registry) => {
      const digest = registry.put('img', 'v1', manifest(7));
      const client = new RegistryClient({ credentials: new Credentials('00000000-0000-0000-0000-000000000000', '', 'refresh-1') });
      expect(await client.manifestDigest(`${registry.host}/img:v1`)).toBe(digest);
      expect(registry.tokenRequests).toEqual([{ method: 'POST', scope: ['repository:img:pull'] }]);
    }));

  it('wrong password → the token realm refuses → RegistryAuthError', () =>
    withRegistry({ auth: 'bearer', users }, async (registry) => {
      const client = new RegistryClient({ credentials: new Credentials('kf', 'wrong') });
      await expect(client.manifestDigest(`${registry.host}/img:v1`)).rejects.toThrow(
        `registry ${registry.host} refused our credentials for img (HTTP 401): run \`podman login ${registry.host}\` (or docker login) with a valid account`,
      );
    }));

  it('insufficient scope: manifestDigest says "not there", retag says which repository is denied', () =>
    withRegistry({ auth: 'bearer', users, forbidden: ['secret'] }, async (registry) => {
      const client = new RegistryClient({ credentials: new Credentials('kf', 'right') });
      expect(await client.manifestDigest(`${registry.host}/secret:v1`)).toBeNull();
      const error = await client.retag(`${registry.host}/secret:v1`, ['x']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryAuthError);
      expect((error as RegistryAuthError).failure).toBe('scope');
      expect((error as Error).message).toContain(`registry ${registry.host} accepted our login but denies it access to secret`);
    }));

  it('deleteManifest asks the token realm for the delete scope, and an anonymous client is told to log in', () =>
    withRegistry({ auth: 'bearer', users, deletes: true }, async (registry) => {
      const digest = registry.put('team/img', 'content-a', manifest(9));
      await expect(new RegistryClient({ credentials: null }).deleteManifest(`${registry.host}/team/img`, digest)).rejects.toThrow('requires credentials for team/img');
      registry.tokenRequests.length = 0;
      expect(await new RegistryClient({ credentials: new Credentials('kf', 'right') }).deleteManifest(`${registry.host}/team/img`, digest)).toBe(true);
      expect(registry.tokenRequests).toEqual([{ method: 'GET', scope: ['repository:team/img:delete'], account: 'kf' }]);
      expect(registry.stored('team/img', 'content-a')).toBeUndefined();
    }));

  it('anonymous: pulls with an anonymous token, and a push scope asks for a login', () =>
    withRegistry({ auth: 'bearer', users }, async (registry) => {
      const digest = registry.put('public', 'v1', manifest(8));
      const client = new RegistryClient({ credentials: null });
      expect(await client.manifestDigest(`${registry.host}/public:v1`)).toBe(digest);
      await expect(client.retag(`${registry.host}/public:v1`, ['x'])).rejects.toThrow('requires credentials for public');
    }));
});

describe('RegistryClient network failures', () => {
  it('closed port → RegistryUnreachableError "connection refused"', async () => {
    const port = await closedPort();
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const error = await new RegistryClient({ authFiles: noFiles }).manifestDigest(`${host}/img:v1`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryUnreachableError);
      expect((error as Error).message).toBe(`registry ${host} is not reachable (connection refused): start it or fix IMAGE_REGISTRY`);
    }
  });

  it('unknown host → "host not found"', async () => {
    const error = await new RegistryClient({ authFiles: noFiles, baseUrl: () => 'http://kf-no-such-host.invalid' })
      .manifestDigest('kf-no-such-host.invalid/img:v1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnreachableError);
    expect((error as Error).message).toMatch(/^registry kf-no-such-host\.invalid is not reachable \((host not found|host name lookup failed)\)/);
  });

  it('a registry that never answers → timeout', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => void sockets.push(socket)); // accept and say nothing
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await expect(new RegistryClient({ authFiles: noFiles, timeoutMs: 300 }).manifestDigest(`${host}/img:v1`)).rejects.toThrow(
        `registry ${host} is not reachable (no answer within 300 ms): start it or fix IMAGE_REGISTRY`,
      );
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses to send a login to a plain-http token realm on another host', async () => {
    const fetchStub = (async () =>
      new Response('{}', { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="http://auth.example.com/token",service="x"' } })) as typeof fetch;
    await expect(
      new RegistryClient({ credentials: new Credentials('u', 'p'), fetch: fetchStub }).manifestDigest('registry.example.com/img:v1'),
    ).rejects.toThrow('sends logins to a non-https token realm http://auth.example.com: refusing');
  });
});
