import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small in-process registry for unit tests: the v2 manifest and tag
 * endpoints, with no auth, htpasswd-style Basic, or Docker token (Bearer) auth.
 * Real-registry behaviour is covered by registry-client.integration.spec.ts.
 */
export interface FakeRegistryOptions {
  auth: 'none' | 'basic' | 'bearer';
  users?: Record<string, string>;
  /** Refresh tokens accepted by POST /token (docker config "identitytoken"). */
  refreshTokens?: Record<string, string>;
  /** Repositories no login may touch (answer 401 insufficient_scope). */
  forbidden?: string[];
  omitDigestOnHead?: boolean;
  /** Page size for tags/list when the client does not ask. */
  pageSize?: number;
  /** Accept DELETE of manifests by digest (distribution: storage.delete.enabled); otherwise 405, as distribution answers. */
  deletes?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  auth: 'none' | 'basic' | 'bearer';
}

interface Stored {
  bytes: Buffer;
  contentType: string;
}

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class FakeRegistry {
  readonly requests: RecordedRequest[] = [];
  readonly tokenRequests: Array<{ method: string; scope: string[]; account?: string }> = [];
  private readonly repos = new Map<string, Map<string, Stored>>();
  private readonly tokens = new Map<string, { user: string; scopes: string[] }>();
  private server?: Server;
  private nextToken = 1;
  /** Set to make the next responses fail with this status. */
  failWith?: number;
  /** With failWith: fail only this many requests, then answer normally again. */
  failTimes?: number;
  /** With failWith: the Retry-After header of the failures. */
  retryAfter?: string;

  constructor(readonly options: FakeRegistryOptions) {}

  get host(): string {
    return `127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Stores a manifest as a push would; returns its digest. */
  put(repository: string, tag: string, manifest: object, contentType = 'application/vnd.oci.image.manifest.v1+json'): string {
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3)); // unusual spacing: a re-serialising client would change the digest
    return this.store(repository, tag, bytes, contentType);
  }

  stored(repository: string, reference: string): Stored | undefined {
    return this.repos.get(repository)?.get(reference);
  }

  private store(repository: string, tag: string, bytes: Buffer, contentType: string): string {
    const repo = this.repos.get(repository) ?? new Map<string, Stored>();
    this.repos.set(repository, repo);
    const digest = digestOf(bytes);
    repo.set(tag, { bytes, contentType });
    repo.set(digest, { bytes, contentType });
    return digest;
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    this.json(res, status, { errors: [{ code, message }] }, headers);
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', `http://${this.host}`);
    const authorization = req.headers.authorization ?? '';
    this.requests.push({ method: req.method ?? '', path: url.pathname, auth: authorization.startsWith('Basic ') ? 'basic' : authorization.startsWith('Bearer ') ? 'bearer' : 'none' });

    if (url.pathname === '/token') return this.token(req, res, url, body);
    if (this.failWith && (this.failTimes === undefined || this.failTimes-- > 0)) {
      return this.error(res, this.failWith, this.failWith === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN', 'injected failure', this.retryAfter ? { 'Retry-After': this.retryAfter } : {});
    }

    const match = /^\/v2\/(.+)\/(manifests|tags|blobs)\/(.+)$/.exec(url.pathname);
    if (!match) return this.error(res, 404, 'NOT_FOUND', 'no such endpoint');
    const [, repository, kind, reference] = match;
    const actions = req.method === 'PUT' ? ['pull', 'push'] : req.method === 'DELETE' ? ['delete'] : ['pull'];
    if (!this.authorized(req, res, repository, actions)) return;

    if (kind === 'tags') {
      const repo = this.repos.get(repository);
      if (!repo) return this.error(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
      const all = [...repo.keys()].filter((k) => !k.startsWith('sha256:')).sort();
      const n = Number(url.searchParams.get('n') ?? this.options.pageSize ?? 1000);
      const pageSize = Math.min(n, this.options.pageSize ?? n);
      const last = url.searchParams.get('last');
      const start = last ? all.indexOf(last) + 1 : 0;
      const page = all.slice(start, start + pageSize);
      const headers: Record<string, string> = {};
      if (start + pageSize < all.length) headers.Link = `</v2/${repository}/tags/list?n=${pageSize}&last=${page[page.length - 1]}>; rel="next"`;
      return this.json(res, 200, { name: repository, tags: page }, headers);
    }
    if (kind === 'blobs') return this.error(res, 404, 'BLOB_UNKNOWN', 'blob unknown');

    if (req.method === 'DELETE') return this.delete(res, repository, reference);
    if (req.method === 'PUT') {
      const contentType = req.headers['content-type'] ?? '';
      const digest = this.store(repository, reference, body, contentType);
      res.writeHead(201, { 'Docker-Content-Digest': digest, Location: `/v2/${repository}/manifests/${digest}` });
      return void res.end();
    }
    const stored = this.stored(repository, reference);
    if (!stored) {
      return this.error(res, 404, this.repos.has(repository) ? 'MANIFEST_UNKNOWN' : 'NAME_UNKNOWN', 'manifest unknown');
    }
    const accept = String(req.headers.accept ?? '');
    if (!accept.includes(stored.contentType)) return this.error(res, 404, 'MANIFEST_UNKNOWN', `client does not accept ${stored.contentType}`);
    const headers: Record<string, string> = { 'Content-Type': stored.contentType, 'Content-Length': String(stored.bytes.length) };
    if (!(req.method === 'HEAD' && this.options.omitDigestOnHead)) headers['Docker-Content-Digest'] = digestOf(stored.bytes);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : stored.bytes);
  }

  /** As distribution does: by digest only, and every tag on that manifest goes with it. */
  private delete(res: ServerResponse, repository: string, reference: string): void {
    if (!this.options.deletes) return this.error(res, 405, 'UNSUPPORTED', 'The operation is unsupported.');
    if (!reference.startsWith('sha256:')) return this.error(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content');
    const repo = this.repos.get(repository);
    if (!repo?.has(reference)) return this.error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    for (const [key, stored] of [...repo]) if (digestOf(stored.bytes) === reference) repo.delete(key);
    res.writeHead(202);
    res.end();
  }

  private basicUser(header: string | undefined): string | undefined | null {
    if (!header?.startsWith('Basic ')) return undefined;
    const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString().split(':');
    return this.options.users?.[user] === rest.join(':') ? user : null;
  }

  private authorized(req: IncomingMessage, res: ServerResponse, repository: string, actions: string[]): boolean {
    const { auth } = this.options;
    if (auth === 'none') return true;
    const scope = `repository:${repository}:${actions.join(',')}`;
    if (auth === 'basic') {
      if (this.basicUser(req.headers.authorization)) return true;
      this.error(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': 'Basic realm="fake"' });
      return false;
    }
    const challenge = `Bearer realm="http://${this.host}/token",service="fake-registry",scope="${scope}"`;
    const token = req.headers.authorization?.startsWith('Bearer ') ? this.tokens.get(req.headers.authorization.slice(7)) : undefined;
    if (!token) {
      this.error(res, 401, 'UNAUTHORIZED', 'authentication required', { 'WWW-Authenticate': challenge });
      return false;
    }
    const granted = token.scopes.find((s) => s.startsWith(`repository:${repository}:`))?.split(':')[2]?.split(',') ?? [];
    if (!actions.every((a) => granted.includes(a))) {
      this.error(res, 401, 'DENIED', 'requested access to the resource is denied', { 'WWW-Authenticate': `${challenge},error="insufficient_scope"` });
      return false;
    }
    return true;
  }

  private token(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): void {
    let user: string | undefined;
    let scopes: string[];
    if (req.method === 'POST') {
      const form = new URLSearchParams(body.toString());
      user = form.get('grant_type') === 'refresh_token' ? this.options.refreshTokens?.[form.get('refresh_token') ?? ''] : undefined;
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      this.tokenRequests.push({ method: 'POST', scope: scopes });
      if (!user) return this.json(res, 401, { error: 'invalid_grant' });
    } else {
      const basic = this.basicUser(req.headers.authorization);
      scopes = url.searchParams.getAll('scope');
      this.tokenRequests.push({ method: 'GET', scope: scopes, account: url.searchParams.get('account') ?? undefined });
      if (basic === null) return this.error(res, 401, 'UNAUTHORIZED', 'invalid username or password');
      user = basic ?? 'anonymous';
    }
    const grantedScopes = scopes
      .map((s) => {
        const [type, name, actions] = s.split(':');
        if (this.options.forbidden?.includes(name)) return `${type}:${name}:`;
        return user === 'anonymous' ? `${type}:${name}:pull` : `${type}:${name}:${actions}`;
      });
    const token = `t${this.nextToken++}`;
    this.tokens.set(token, { user, scopes: grantedScopes });
    this.json(res, 200, { token, access_token: token, expires_in: 300 });
  }
}
