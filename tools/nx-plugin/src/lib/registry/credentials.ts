import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { BuildConfigurationError } from '../errors';
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
    /** The docker credential helper that gave it (`docker-credential-<name>`), when one did. */
    readonly helper?: string,
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

/** Runs `docker-credential-<name> get` with the server on stdin; for tests, a fake. */
export type CredentialHelperRunner = (program: string, server: string) => { status: number | null; stdout: string; stderr: string; missing: boolean };

const runHelper: CredentialHelperRunner = (program, server) => {
  const result = spawnSync(program, ['get'], { input: server, encoding: 'utf8', timeout: 60_000, env: process.env });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? (result.error?.message ?? ''), missing };
};

/**
 * The login a docker credential helper keeps for `registry` (the protocol of
 * docker-credential-helpers: the server on stdin, `{ServerURL, Username,
 * Secret}` on stdout; a Username of `<token>` means the Secret is an identity
 * token); undefined when it has none. A helper that is not installed, or that
 * fails otherwise, is one line naming it.
 */
export function credentialsFromHelper(name: string, registry: string, file: string, key: string, run: CredentialHelperRunner = runHelper): Credentials | undefined {
  const program = `docker-credential-${name}`;
  // Docker Hub logins are kept under its legacy URL.
  const server = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
  const result = run(program, server);
  if (result.missing) {
    throw new BuildConfigurationError(`${file} names the credential helper "${name}" (${key}) for ${registry}, but ${program} is not on PATH: install it, or remove that entry (or log in with \`podman login ${registry}\`)`);
  }
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.status !== 0) {
    if (/credentials not found|not found in native keychain|no credentials/i.test(output)) return undefined;
    throw new BuildConfigurationError(`${program} (${key} in ${file}) failed for ${registry} (${output.trim().split('\n')[0] || `exit code ${result.status}`}): run \`${program} get\` to see why, or log in again`);
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(result.stdout);
  } catch {
    throw new BuildConfigurationError(`${program} (${key} in ${file}) answered for ${registry} with something that is not the helper protocol's JSON: check that it is a docker credential helper`);
  }
  if (typeof answer.Secret !== 'string' || answer.Secret === '') return undefined;
  const username = typeof answer.Username === 'string' ? answer.Username : '';
  return username === '<token>' || username === ''
    ? new Credentials(username || '<token>', '', answer.Secret, file, program)
    : new Credentials(username, answer.Secret, undefined, file, program);
}

interface AuthFileContent {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/**
 * The login for `registry` (optionally scoped to `repository`, as podman allows
 * "host/namespace" keys) in one auth file; undefined when the file has none.
 * As docker does: a credential helper named for the registry (`credHelpers`)
 * first, then the file's default store (`credsStore`), then its `auths`. The
 * most specific key wins: host/a/b over host/a over host.
 */
export function credentialsFromAuthFile(file: string, registry: string, repository?: string, run: CredentialHelperRunner = runHelper): Credentials | undefined {
  let parsed: AuthFileContent;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // missing or unreadable: the engines skip it too
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const helpers = parsed.credHelpers && typeof parsed.credHelpers === 'object' ? parsed.credHelpers : {};
  const helper = Object.entries(helpers).find(([key, name]) => normaliseKey(key) === registry && typeof name === 'string' && name !== '');
  if (helper) return credentialsFromHelper(helper[1], registry, file, `credHelpers["${helper[0]}"]`, run);
  if (typeof parsed.credsStore === 'string' && parsed.credsStore !== '') {
    const stored = credentialsFromHelper(parsed.credsStore, registry, file, 'credsStore', run);
    if (stored) return stored;
  }
  const auths = parsed.auths;
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
export function findCredentials(registry: string, repository?: string, files: string[] = authFileCandidates(), run: CredentialHelperRunner = runHelper): Credentials | undefined {
  for (const file of files) {
    const found = credentialsFromAuthFile(file, registry, repository, run);
    if (found) return found;
  }
  return undefined;
}
