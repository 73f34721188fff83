import { authFileCandidates, findCredentials, Credentials } from './credentials';
import { logger, stamped } from '../logger';
import { RegistryAuthError, RegistryError, RegistryHttpError, RegistryUnreachableError, toUnreachableError } from './errors';
import { isRetryableNetworkCode, isRetryableStatus, parseRetryAfter, withRetries, type RetryPolicy } from './retry';
import { isLoopbackRegistry, registryBaseUrl } from './image-reference';
import { parseWwwAuthenticate, preferredChallenge, type Challenge } from './www-authenticate';

export interface RegistrySessionOptions {
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
  /** When a request that failed for a passing reason (429, 5xx, a reset connection) is tried again (default DEFAULT_RETRY_POLICY). */
  retryPolicy?: RetryPolicy;
  /** Where the one line per retry goes (default: the task's output, as a warning, with its time: Nx may replay it). */
  onRetry?: (line: string) => void;
  /** For tests: waiting and the clock. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** What a request needs its credentials (or bearer token scope) to allow in the repository. */
export type Actions = 'pull' | 'pull,push' | 'delete';

/** One registry API request, with what it needs to authenticate. */
export interface RequestSpec {
  registry: string;
  repository: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  /** A path under the registry ("/v2/...") or an absolute URL (pagination links). */
  path: string;
  actions: Actions;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** Frees the body of a response that is not read, so the connection can be reused. */
export async function discard(response: Response): Promise<void> {
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
 * The registry API's HTTP and auth machinery: finds the login for a
 * repository in the engines' auth files, answers a 401 challenge once
 * (HTTP basic, or a bearer token from the challenge's realm) and caches what
 * worked per registry and scope, so the next request goes out authorised.
 */
export class RegistrySession {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly credentialCache = new Map<string, Credentials | undefined>();
  /** Registries that answered with a Basic challenge: send basic up front from then on. */
  private readonly basicRegistries = new Set<string>();
  /** Bearer tokens by "registry|scope". */
  private readonly tokens = new Map<string, string>();

  constructor(private readonly options: RegistrySessionOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

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

  /**
   * One request, tried again while the registry answers 429 or a passing 5xx
   * or resets the connection, within the retry policy; then the last answer
   * (for the caller to judge) or the last network failure.
   */
  private async send(registry: string, url: string, init: RequestInit): Promise<Response> {
    const now = this.options.now ?? Date.now;
    const answer = await withRetries<Response | RegistryUnreachableError>(
      `registry ${registry}, ${init.method ?? 'GET'} ${new URL(url).pathname}`,
      async () => {
        let response: Response;
        try {
          response = await this.fetchImpl(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
        } catch (error) {
          const failure = toUnreachableError(registry, error, this.timeoutMs);
          return { result: failure, again: isRetryableNetworkCode(failure.code) ? { why: failure.reason, retryAfterMs: null } : null };
        }
        if (!isRetryableStatus(response.status)) return { result: response, again: null };
        const why = `answered HTTP ${response.status}${response.status === 429 ? ' (too many requests)' : ''}`;
        return { result: response, again: { why, retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), now()), release: () => discard(response) } };
      },
      { log: this.options.onRetry ?? ((line: string) => logger.warn(stamped(line))), policy: this.options.retryPolicy, sleep: this.options.sleep, now },
    );
    if (answer instanceof RegistryUnreachableError) throw answer;
    return answer;
  }

  /** Sends the request, answering one authentication challenge if the registry makes one. */
  async request(spec: RequestSpec): Promise<Response> {
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

  /**
   * The registry's 2xx answer, or null when the manifest, blob or repository
   * is not there. Docker Hub and others answer "insufficient_scope" for a
   * repository that does not exist yet; a wrong login fails earlier, at the
   * token realm, so that answer means "not there" too.
   */
  async requestIfPresent(spec: RequestSpec): Promise<Response | null> {
    let response: Response;
    try {
      response = await this.request(spec);
    } catch (error) {
      if (error instanceof RegistryAuthError && error.failure === 'scope') return null;
      throw error;
    }
    if (response.status === 404) {
      await discard(response);
      return null;
    }
    await this.assertOk(response, spec);
    return response;
  }

  /** Throws the registry's own explanation of a non-2xx answer. */
  async assertOk(response: Response, spec: RequestSpec): Promise<void> {
    if (response.ok) return;
    const path = /^https?:\/\//.test(spec.path) ? new URL(spec.path).pathname : spec.path.split('?')[0];
    throw new RegistryHttpError(spec.registry, spec.method, path, response.status, await errorDetail(response));
  }
}
