import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findCredentials, type Credentials } from './credentials';
import { parseImageReference } from './image-reference';

/** The auth file entry podman reads for a login: user:password, or an identity token. */
export function authFileEntry(credentials: Credentials): { auth: string; identitytoken?: string } {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return credentials.identityToken ? { auth, identitytoken: credentials.identityToken } : { auth };
}

/**
 * Runs `body` with an auth file for pushing (or pulling) `image` with podman when the
 * registry's login is one only a docker credential helper gives (podman 4
 * reads `credHelpers` but not docker's `credsStore`): written to a private
 * folder (0700, the file 0600) inside `parentDir` and removed afterwards. Any
 * other login, and docker (which asks its helpers itself), get null: the
 * engine finds it.
 */
export async function withHelperLogin<T>(
  engine: string,
  image: string,
  body: (authFile: string | null) => Promise<T>,
  {
    find = findCredentials,
    // This process's scratch folder (or a build's inside it), which the next run removes if this one is killed: the file holds a secret.
    parentDir,
  }: { find?: (registry: string, repository: string) => Credentials | undefined; parentDir: string },
): Promise<T> {
  if (engine !== 'podman') return body(null);
  const { registry, repository } = parseImageReference(image);
  const credentials = find(registry, repository);
  if (!credentials?.helper) return body(null);
  const dir = mkdtempSync(join(parentDir, 'kf-login-'));
  try {
    const file = join(dir, 'auth.json');
    writeFileSync(file, `${JSON.stringify({ auths: { [registry]: authFileEntry(credentials) } })}\n`, { mode: 0o600 });
    return await body(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
