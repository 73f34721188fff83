import { createHash } from 'node:crypto';
import { authFileCandidates, findCredentials, Credentials } from './credentials';
import {
  ManifestNotFoundError,
  RegistryAuthError,
  RegistryError,
  RegistryHttpError,
  toUnreachableError,
} from './errors';
import {
  assertValidTag,
  isLoopbackRegistry,
  manifestReference,
  parseImageReference,
  parseRepository,
  registryBaseUrl,
} from './image-reference';
import { parseWwwAuthenticate, preferredChallenge, type Challenge } from './www-authenticate';

/** Every manifest kind a build can produce; asking for all keeps multi-arch indexes intact. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const ACCEPT_MANIFESTS = MANIFEST_MEDIA_TYPES.join(', ');

export interface RegistryClientOptions {
  /** The login to use: null for anonymous, undefined to look it up in the engines' auth files. */
  credentials?: Credentials | null;
  /** Auth files to search, in order (default: authFileCandidates(env)). */
  authFiles?: string[];
  /** Environment for the auth file lookup (default process.env). */
  env?: Record<string, string | undefined>;
  /** Per request, in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Base URL of a registry's API (default: http for loopback registries, https otherwise). */
  baseUrl?: (registry: string) => string;
  /** For tests. */
  fetch?: typeof fetch;
}

/** The fields of an OCI/Docker image config that tools read. */
export interface ImageConfig {
  /** When the image was built (RFC 3339), as the builder wrote it. */
  created?: string;
  os?: string;
  architecture?: string;
  config?: { Labels?: Record<string, string> | null; Env?: string[] | null } | null;
  history?: Array<{ created_by?: string; comment?: string; empty_layer?: boolean }>;
  rootfs?: { diff_ids?: string[] };
}

export interface ImagePlatform {
  os: string;
  architecture: string;
}

type Actions = 'pull' | 'pull,push' | 'delete';

interface RequestSpec {
  registry: string;
  repository: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  /** A path under the registry ("/v2/...") or an absolute URL (pagination links). */
  path: string;
  actions: Actions;
  headers?: Record<string, string>;
  body?: Buffer;
}

function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // already consumed or closed: nothing to free
  }
}

/** The registry's own explanation of an error ({"errors":[{"code","message"}]}), shortened. */
async function errorDetail(response: Response): Promise<string> {
  try {
    const text = await response.text();
    try {
      const errors = (JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }).errors;
      if (Array.isArray(errors) && errors.length > 0) {
        return errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ').slice(0, 200);
      }
    } catch {
      // not JSON: fall through to the raw text
    }
    return text.replace(/\s+/g, ' ').trim().slice(0, 200);
  } catch {
    return '';
  }
}

/**
 * A client for the registry HTTP API v2 (OCI distribution): reads manifest
 * digests, copies manifests to new tags registry-side, lists tags and deletes
 * manifests, never touching blobs. Authenticates anonymously, with HTTP basic, or with bearer
 * tokens (401 + WWW-Authenticate: Bearer realm=...), using the engines' logins.
 */
export class RegistryClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly credentialCache = new Map<string, Credentials | undefined>();
  /** Registries that answered with a Basic challenge: send basic up front from then on. */
  private readonly basicRegistries = new Set<string>();
  /** Bearer tokens by "registry|scope". */
  private readonly tokens = new Map<string, string>();

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The digest of the manifest a reference points at, or null when the tag (or repository) does not exist. */
  async manifestDigest(reference: string): Promise<string | null> {
    const ref = parseImageReference(reference);
    const path = `/v2/${ref.repository}/manifests/${manifestReference(ref)}`;
    const spec: RequestSpec = { registry: ref.registry, repository: ref.repository, method: 'HEAD', path, actions: 'pull', headers: { Accept: ACCEPT_MANIFESTS } };
    let head: Response;
    try {
      head = await this.request(spec);
    } catch (error) {
      // Docker Hub and others answer "insufficient_scope" for a repository that does not exist yet;
      // a wrong login fails earlier, at the token realm, so this is "not there".
      if (error instanceof RegistryAuthError && error.failure === 'scope') return null;
      throw error;
    }
    if (head.status === 404) return null;
    await this.assertOk(head, spec);
    const digest = head.headers.get('docker-content-digest');
    if (digest) return digest;
    // Some registries omit the digest header on HEAD: hash the manifest bytes instead.
    const get = await this.request({ ...spec, method: 'GET' });
    if (get.status === 404) return null;
    await this.assertOk(get, spec);
    return sha256Digest(Buffer.from(await get.arrayBuffer()));
  }

  /**
   * Copies the manifest `reference` points at to each of `tags` in the same
   * repository (GET the exact bytes, PUT them under the new tag) and returns
   * its digest, which the copies share. No blob is read or written.
   */
  async retag(reference: string, tags: string[]): Promise<string> {
    const ref = parseImageReference(reference);
    for (const tag of tags) assertValidTag(tag, `${ref.registry}/${ref.repository}:${tag}`);
    const source = manifestReference(ref);
    const getSpec: RequestSpec = {
      registry: ref.registry,
      repository: ref.repository,
      method: 'GET',
      path: `/v2/${ref.repository}/manifests/${source}`,
      actions: 'pull,push', // ask for push up front: a pull-only token would be refused on the PUTs
      headers: { Accept: ACCEPT_MANIFESTS },
    };
    const got = await this.request(getSpec);
    if (got.status === 404) {
      await discard(got);
      throw new ManifestNotFoundError(ref.registry, `${ref.repository}${ref.digest ? '@' : ':'}${source}`);
    }
    await this.assertOk(got, getSpec);
    const bytes = Buffer.from(await got.arrayBuffer());
    const digest = sha256Digest(bytes);
    const contentType = got.headers.get('content-type')?.split(';')[0].trim() || (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
    if (!contentType) {
      throw new RegistryError(`registry ${ref.registry} returned manifest ${ref.repository}:${source} without a media type: cannot retag it`, ref.registry);
    }
    if (ref.digest && ref.digest.startsWith('sha256:') && ref.digest !== digest) {
      throw new RegistryError(`registry ${ref.registry} returned a manifest whose digest ${digest} is not the requested ${ref.digest}`, ref.registry);
    }
    for (const tag of [...new Set(tags)]) {
      const putSpec: RequestSpec = {
        registry: ref.registry,
        repository: ref.repository,
        method: 'PUT',
        path: `/v2/${ref.repository}/manifests/${tag}`,
        actions: 'pull,push',
        headers: { 'Content-Type': contentType },
        body: bytes,
      };
      const put = await this.request(putSpec);
      await this.assertOk(put, putSpec);
      const stored = put.headers.get('docker-content-digest');
      await discard(put);
      if (stored && stored !== digest) {
        throw new RegistryError(`registry ${ref.registry} stored ${ref.repository}:${tag} as ${stored}, not ${digest}: it rewrote the manifest, retag by push instead`, ref.registry);
      }
    }
    return digest;
  }

  /**
   * The image configuration a reference points at (labels, history, os and
   * architecture): its manifest, the platform's manifest when that is an
   * index, then the small config blob; never a layer. null when the tag (or
   * repository) does not exist.
   */
  async imageConfig(reference: string, platform: ImagePlatform = { os: 'linux', architecture: 'amd64' }): Promise<ImageConfig | null> {
    const ref = parseImageReference(reference);
    const get = async (path: string, accept: string): Promise<Buffer | null> => {
      const spec: RequestSpec = { registry: ref.registry, repository: ref.repository, method: 'GET', path, actions: 'pull', headers: { Accept: accept } };
      let response: Response;
      try {
        response = await this.request(spec);
      } catch (error) {
        // As in manifestDigest: "insufficient_scope" after an accepted login means the repository is not there.
        if (error instanceof RegistryAuthError && error.failure === 'scope') return null;
        throw error;
      }
      if (response.status === 404) {
        await discard(response);
        return null;
      }
      await this.assertOk(response, spec);
      return Buffer.from(await response.arrayBuffer());
    };
    const parse = <T>(bytes: Buffer, what: string): T => {
      try {
        return JSON.parse(bytes.toString('utf8')) as T;
      } catch {
        throw new RegistryError(`registry ${ref.registry} returned ${what} of ${reference} that is not JSON: check the registry`, ref.registry);
      }
    };
    type Manifest = { manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }>; config?: { digest?: string } };
    const first = await get(`/v2/${ref.repository}/manifests/${manifestReference(ref)}`, ACCEPT_MANIFESTS);
    if (!first) return null;
    let manifest = parse<Manifest>(first, 'a manifest');
    if (Array.isArray(manifest.manifests)) {
      const entry = manifest.manifests.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
      if (!entry) {
        const has = manifest.manifests.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ');
        throw new RegistryError(`registry ${ref.registry} has no ${platform.os}/${platform.architecture} image under ${reference} (only ${has || 'none'})`, ref.registry);
      }
      const platformManifest = await get(`/v2/${ref.repository}/manifests/${entry.digest}`, ACCEPT_MANIFESTS);
      if (!platformManifest) throw new ManifestNotFoundError(ref.registry, `${ref.repository}@${entry.digest}`);
      manifest = parse<Manifest>(platformManifest, 'a manifest');
    }
    const digest = manifest.config?.digest;
    if (!digest) throw new RegistryError(`registry ${ref.registry} returned a manifest for ${reference} without a config: not an image manifest`, ref.registry);
    const config = await get(`/v2/${ref.repository}/blobs/${digest}`, 'application/vnd.oci.image.config.v1+json, application/vnd.docker.container.image.v1+json, application/json, */*');
    if (!config) throw new RegistryError(`registry ${ref.registry} lists config ${digest} for ${reference} but does not serve it: check the registry`, ref.registry);
    if (digest.startsWith('sha256:') && sha256Digest(config) !== digest) {
      throw new RegistryError(`registry ${ref.registry} returned a config for ${reference} whose digest is not ${digest}`, ref.registry);
    }
    return parse<ImageConfig>(config, 'an image config');
  }

  /** All tags of `[registry/]repository`; [] when the repository does not exist. */
  async listTags(repositoryName: string): Promise<string[]> {
    const { registry, repository } = parseRepository(repositoryName);
    const tags: string[] = [];
    let path: string | null = `/v2/${repository}/tags/list?n=1000`;
    while (path) {
      const spec: RequestSpec = { registry, repository, method: 'GET', path, actions: 'pull', headers: { Accept: 'application/json' } };
      const response = await this.request(spec);
      if (response.status === 404) {
        await discard(response);
        return tags;
      }
      await this.assertOk(response, spec);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get('link') ?? '');
      path = next ? next[1] : null;
    }
    return tags;
  }

  /**
   * Deletes the manifest `digest` from `[registry/]repository`, and with it
   * every tag that points at it (the API deletes by digest only). Returns
   * false when it was already gone. The registry must allow deletes
   * (distribution: storage.delete.enabled); its blobs go at the next garbage collection.
   */
  async deleteManifest(repositoryName: string, digest: string): Promise<boolean> {
    const { registry, repository } = parseRepository(repositoryName);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new RegistryError(`"${digest}" is not a sha256 digest: manifests are deleted by digest`, registry);
    const spec: RequestSpec = { registry, repository, method: 'DELETE', path: `/v2/${repository}/manifests/${digest}`, actions: 'delete' };
    const response = await this.request(spec);
    if (response.status === 404) {
      await discard(response);
      return false;
    }
    if (response.status === 405) {
      await discard(response);
      throw new RegistryError(
        `registry ${registry} does not allow deleting manifests (405): enable deletes (distribution: storage.delete.enabled: true; ACR: a login with delete permission)`,
        registry,
      );
    }
    await this.assertOk(response, spec);
    await discard(response);
    return true;
  }

  // ------------------------------------------------------------ auth and HTTP

  private credentialsFor(registry: string, repository: string): Credentials | undefined {
    if (this.options.credentials !== undefined) return this.options.credentials ?? undefined;
    const key = `${registry}/${repository}`;
    if (!this.credentialCache.has(key)) {
      const files = this.options.authFiles ?? authFileCandidates(this.options.env ?? process.env);
      this.credentialCache.set(key, findCredentials(registry, repository, files));
    }
    return this.credentialCache.get(key);
  }

  private url(registry: string, path: string): string {
    if (/^https?:\/\//.test(path)) return path;
    return `${(this.options.baseUrl ?? registryBaseUrl)(registry).replace(/\/+$/, '')}${path}`;
  }

  private async send(registry: string, url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw toUnreachableError(registry, error, this.timeoutMs);
    }
  }

  /** Sends the request, answering one authentication challenge if the registry makes one. */
  private async request(spec: RequestSpec): Promise<Response> {
    const credentials = this.credentialsFor(spec.registry, spec.repository);
    const scope = `repository:${spec.repository}:${spec.actions}`;
    const url = this.url(spec.registry, spec.path);
    const attempt = (authorization: string | undefined) =>
      this.send(spec.registry, url, {
        method: spec.method,
        headers: { ...spec.headers, ...(authorization && { Authorization: authorization }) },
        body: spec.body,
      });

    const initial = this.cachedAuthorization(spec.registry, scope, credentials);
    let response = await attempt(initial);
    let sent = initial;
    if (response.status === 401) {
      const challenge = preferredChallenge(parseWwwAuthenticate(response.headers.get('www-authenticate')));
      await discard(response);
      sent = await this.answerChallenge(spec, challenge, scope, credentials, initial);
      response = await attempt(sent);
    }
    if (response.status === 401 || response.status === 403) {
      // With a bearer token the login itself was accepted by the token realm;
      // a refusal now is about this repository (missing, or not ours).
      const insufficientScope = sent?.startsWith('Bearer ') &&
        (response.status === 403 || parseWwwAuthenticate(response.headers.get('www-authenticate')).some((c) => c.params.error === 'insufficient_scope'));
      await discard(response);
      const failure = !credentials ? 'missing' : insufficientScope ? 'scope' : 'refused';
      throw new RegistryAuthError(spec.registry, spec.repository, response.status, failure);
    }
    return response;
  }

  private cachedAuthorization(registry: string, scope: string, credentials: Credentials | undefined): string | undefined {
    const token = this.tokens.get(`${registry}|${scope}`);
    if (token) return `Bearer ${token}`;
    if (credentials && this.basicRegistries.has(registry)) return credentials.basicAuthorization();
    return undefined;
  }

  private async answerChallenge(
    spec: RequestSpec,
    challenge: Challenge | undefined,
    scope: string,
    credentials: Credentials | undefined,
    alreadySent: string | undefined,
  ): Promise<string> {
    const refused = () => new RegistryAuthError(spec.registry, spec.repository, 401, credentials ? 'refused' : 'missing');
    if (!challenge) throw refused();
    if (challenge.scheme === 'basic') {
      if (!credentials || alreadySent?.startsWith('Basic ')) throw refused();
      this.basicRegistries.add(spec.registry);
      return credentials.basicAuthorization();
    }
    // Bearer: a token we already used was refused (expired, or lacks the scope) → get a fresh one once.
    const token = await this.fetchToken(spec, challenge, scope, credentials);
    this.tokens.set(`${spec.registry}|${scope}`, token);
    return `Bearer ${token}`;
  }

  /** Docker token auth (distribution docs, "token" and "oauth"): a token for the scope, with the login if we have one. */
  private async fetchToken(spec: RequestSpec, challenge: Challenge, scope: string, credentials: Credentials | undefined): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new RegistryError(`registry ${spec.registry} asked for a bearer token without saying where to get it (no realm): check the registry's auth configuration`, spec.registry);
    }
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryError(`registry ${spec.registry} named an invalid token realm "${realm}": check the registry's auth configuration`, spec.registry);
    }
    if (realmUrl.protocol !== 'https:' && !(realmUrl.protocol === 'http:' && isLoopbackRegistry(realmUrl.host))) {
      throw new RegistryError(`registry ${spec.registry} sends logins to a non-https token realm ${realmUrl.origin}: refusing; fix the registry's auth configuration`, spec.registry);
    }
    // The scope we need, plus the challenge's own when it differs (it is what the registry checks).
    const scopes = [...new Set([scope, challenge.params.scope].filter((s): s is string => !!s))];
    let response: Response;
    if (credentials?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'kubeflow-images' });
      if (challenge.params.service) form.set('service', challenge.params.service);
      form.set('scope', scopes.join(' '));
      response = await this.send(spec.registry, realmUrl.toString(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } else {
      if (challenge.params.service) realmUrl.searchParams.set('service', challenge.params.service);
      for (const s of scopes) realmUrl.searchParams.append('scope', s);
      if (credentials) realmUrl.searchParams.set('account', credentials.username);
      response = await this.send(spec.registry, realmUrl.toString(), {
        method: 'GET',
        headers: credentials ? { Authorization: credentials.basicAuthorization() } : {},
      });
    }
    if (response.status === 401 || response.status === 403) {
      await discard(response);
      throw new RegistryAuthError(spec.registry, spec.repository, response.status, credentials ? 'refused' : 'missing');
    }
    if (!response.ok) {
      throw new RegistryHttpError(spec.registry, credentials?.identityToken ? 'POST' : 'GET', `token realm ${realmUrl.origin}${realmUrl.pathname}`, response.status, await errorDetail(response));
    }
    const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) {
      throw new RegistryError(`registry ${spec.registry}: token realm ${realmUrl.origin}${realmUrl.pathname} returned no token: check the registry's auth configuration`, spec.registry);
    }
    return token;
  }

  private async assertOk(response: Response, spec: RequestSpec): Promise<void> {
    if (response.ok) return;
    const path = /^https?:\/\//.test(spec.path) ? new URL(spec.path).pathname : spec.path.split('?')[0];
    throw new RegistryHttpError(spec.registry, spec.method, path, response.status, await errorDetail(response));
  }
}

/** One-shot helpers; create a RegistryClient to reuse tokens across calls. */
export function manifestDigest(reference: string, options?: RegistryClientOptions): Promise<string | null> {
  return new RegistryClient(options).manifestDigest(reference);
}

export function retag(reference: string, tags: string[], options?: RegistryClientOptions): Promise<string> {
  return new RegistryClient(options).retag(reference, tags);
}

export function listTags(repository: string, options?: RegistryClientOptions): Promise<string[]> {
  return new RegistryClient(options).listTags(repository);
}

export function deleteManifest(repository: string, digest: string, options?: RegistryClientOptions): Promise<boolean> {
  return new RegistryClient(options).deleteManifest(repository, digest);
}
