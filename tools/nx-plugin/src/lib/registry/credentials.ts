import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DOCKER_HUB } from './image-reference';

/**
 * A login for one registry. The secret never shows up in logs: inspect() and
 * JSON.stringify() print it redacted.
 */
export class Credentials {
  constructor(
    readonly username: string,
    readonly password: string,
    /** An OAuth2 refresh token (docker config "identitytoken", e.g. `az acr login`). */
    readonly identityToken?: string,
    /** The file the login came from, for messages. */
    readonly source?: string,
  ) {}

  basicAuthorization(): string {
    return `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
  }

  toJSON(): Record<string, string | undefined> {
    return { username: this.username, password: '<redacted>', source: this.source };
  }

  [inspect.custom](): string {
    return `Credentials(${this.username}, <redacted>${this.source ? `, from ${this.source}` : ''})`;
  }
}

type Env = Record<string, string | undefined>;

/**
 * The files the engines keep logins in, in the order podman reads them, then docker's:
 * REGISTRY_AUTH_FILE, else ${XDG_RUNTIME_DIR}/containers/auth.json, else /run/containers/<uid>/auth.json;
 * then ${XDG_CONFIG_HOME:-~/.config}/containers/auth.json; then ${DOCKER_CONFIG:-~/.docker}/config.json.
 */
export function authFileCandidates(env: Env = process.env, uid: number = process.getuid?.() ?? 0, home: string = env.HOME ?? homedir()): string[] {
  const files: string[] = [];
  if (env.REGISTRY_AUTH_FILE) files.push(env.REGISTRY_AUTH_FILE);
  else if (env.XDG_RUNTIME_DIR) files.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  else files.push(join('/run/containers', String(uid), 'auth.json'));
  files.push(join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'containers', 'auth.json'));
  files.push(join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json'));
  return [...new Set(files)];
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** Strips what docker/podman allow around a key: a scheme and docker's legacy "/v1/" path. */
function normaliseKey(key: string): string {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  if (k.endsWith('/v1') || k.endsWith('/v2')) k = k.slice(0, -3);
  return k.replace(/^(?:index|registry-1)\.docker\.io(?=$|\/)/, DOCKER_HUB);
}

function decodeEntry(entry: AuthEntry, source: string): Credentials | undefined {
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return new Credentials(decoded.slice(0, colon), decoded.slice(colon + 1), entry.identitytoken || undefined, source);
  }
  if (entry.username && entry.password !== undefined) return new Credentials(entry.username, entry.password, entry.identitytoken || undefined, source);
  if (entry.identitytoken) return new Credentials(entry.username ?? '<token>', '', entry.identitytoken, source);
  return undefined;
}

/**
 * The login for `registry` (optionally scoped to `repository`, as podman allows
 * "host/namespace" keys) in one auth file; undefined when the file has none.
 * The most specific key wins: host/a/b over host/a over host.
 */
export function credentialsFromAuthFile(file: string, registry: string, repository?: string): Credentials | undefined {
  let parsed: { auths?: Record<string, AuthEntry> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // missing or unreadable: the engines skip it too
  }
  const auths = parsed?.auths;
  if (!auths || typeof auths !== 'object') return undefined;
  const byKey = new Map<string, AuthEntry>();
  for (const [key, entry] of Object.entries(auths)) {
    if (entry && typeof entry === 'object' && !byKey.has(normaliseKey(key))) byKey.set(normaliseKey(key), entry);
  }
  const wanted = [registry];
  if (repository) {
    const parts = repository.split('/');
    for (let i = 1; i <= parts.length; i++) wanted.unshift(`${registry}/${parts.slice(0, i).join('/')}`);
  }
  for (const key of wanted) {
    const entry = byKey.get(key);
    const credentials = entry && decodeEntry(entry, file);
    if (credentials) return credentials;
  }
  return undefined;
}

/** The first login for the registry across the engines' auth files (see authFileCandidates). */
export function findCredentials(registry: string, repository?: string, files: string[] = authFileCandidates()): Credentials | undefined {
  for (const file of files) {
    const found = credentialsFromAuthFile(file, registry, repository);
    if (found) return found;
  }
  return undefined;
}
