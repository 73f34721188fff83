/**
 * Registry HTTP API v2 client: manifest digests, registry-side retags, tag
 * lists and manifest deletes, authenticated with the container engines' own logins.
 */
export { RegistryClient, manifestDigest, retag, listTags, deleteManifest, MANIFEST_MEDIA_TYPES, type RegistryClientOptions, type ImageConfig, type ImagePlatform } from './registry-client';
export { Credentials, authFileCandidates, credentialsFromAuthFile, findCredentials } from './credentials';
export {
  parseImageReference,
  parseRepository,
  formatImageReference,
  manifestReference,
  registryBaseUrl,
  isLoopbackRegistry,
  DOCKER_HUB,
  type ImageReference,
} from './image-reference';
export { parseWwwAuthenticate, preferredChallenge, type Challenge } from './www-authenticate';
export {
  RegistryError,
  RegistryAuthError,
  RegistryUnreachableError,
  RegistryHttpError,
  ManifestNotFoundError,
  InvalidImageReferenceError,
  type AuthFailure,
} from './errors';
