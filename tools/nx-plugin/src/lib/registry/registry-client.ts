import { createHash } from 'node:crypto';
import { ManifestNotFoundError, RegistryAuthError, RegistryError } from './errors';
import { assertValidTag, manifestReference, parseImageReference, parseRepository } from './image-reference';
import { discard, RegistrySession, type RegistrySessionOptions, type RequestSpec } from './registry-session';

/** Every manifest kind a build can produce; asking for all keeps multi-arch indexes intact. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

const ACCEPT_MANIFESTS = MANIFEST_MEDIA_TYPES.join(', ');

export type RegistryClientOptions = RegistrySessionOptions;

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

function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A client for the registry HTTP API v2 (OCI distribution): reads manifest
 * digests and image configs (the small config blob, never a layer), copies
 * manifests to new tags registry-side, lists tags and deletes manifests.
 * Authentication (anonymous, HTTP basic or bearer tokens, with the engines'
 * logins) is the RegistrySession's.
 */
export class RegistryClient {
  private readonly session: RegistrySession;

  constructor(options: RegistryClientOptions = {}) {
    this.session = new RegistrySession(options);
  }

  /** The digest of the manifest a reference points at, or null when the tag (or repository) does not exist. */
  async manifestDigest(reference: string): Promise<string | null> {
    const ref = parseImageReference(reference);
    const path = `/v2/${ref.repository}/manifests/${manifestReference(ref)}`;
    const spec: RequestSpec = { registry: ref.registry, repository: ref.repository, method: 'HEAD', path, actions: 'pull', headers: { Accept: ACCEPT_MANIFESTS } };
    let head: Response;
    try {
      head = await this.session.request(spec);
    } catch (error) {
      // Docker Hub and others answer "insufficient_scope" for a repository that does not exist yet;
      // a wrong login fails earlier, at the token realm, so this is "not there".
      if (error instanceof RegistryAuthError && error.failure === 'scope') return null;
      throw error;
    }
    if (head.status === 404) return null;
    await this.session.assertOk(head, spec);
    const digest = head.headers.get('docker-content-digest');
    if (digest) return digest;
    // Some registries omit the digest header on HEAD: hash the manifest bytes instead.
    const get = await this.session.request({ ...spec, method: 'GET' });
    if (get.status === 404) return null;
    await this.session.assertOk(get, spec);
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
    const got = await this.session.request(getSpec);
    if (got.status === 404) {
      await discard(got);
      throw new ManifestNotFoundError(ref.registry, `${ref.repository}${ref.digest ? '@' : ':'}${source}`);
    }
    await this.session.assertOk(got, getSpec);
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
      const put = await this.session.request(putSpec);
      await this.session.assertOk(put, putSpec);
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
      const response = await this.session.requestIfPresent({ registry: ref.registry, repository: ref.repository, method: 'GET', path, actions: 'pull', headers: { Accept: accept } });
      return response && Buffer.from(await response.arrayBuffer());
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
      const response = await this.session.request(spec);
      if (response.status === 404) {
        await discard(response);
        return tags;
      }
      await this.session.assertOk(response, spec);
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
    const response = await this.session.request(spec);
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
    await this.session.assertOk(response, spec);
    await discard(response);
    return true;
  }
}
