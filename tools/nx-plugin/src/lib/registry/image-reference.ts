import { BuildConfigurationError, quoted } from '../errors';
import { InvalidImageReferenceError } from './errors';

/**
 * An image reference split the way docker and podman split it:
 * `[registry/]repository[:tag][@digest]`, Docker Hub when no registry is named.
 */
export interface ImageReference {
  /** Host[:port] as written (Docker Hub normalised to "docker.io"). */
  registry: string;
  /** Path inside the registry, e.g. "base-notebook-cpu" or "library/busybox". */
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

// From github.com/distribution/reference (regexp.go), anchored.
const DOMAIN = /^(?:\[[0-9A-Fa-f:]+\]|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*)(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
/** name (255) + ":" + tag (128) + "@" + a sha512 digest: nothing longer can be valid, so the regexes never see it. */
const MAX_REFERENCE_LENGTH = 255 + 1 + 128 + 1 + 135;

/** Docker's rule: the first component is a registry when it has a dot, a port, is "localhost", or has capitals. */
function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.toLowerCase() !== component;
}

function splitRegistry(text: string, original: string): { registry: string; repository: string } {
  const slash = text.indexOf('/');
  let registry = DOCKER_HUB;
  let repository = text;
  if (slash > 0 && looksLikeRegistry(text.slice(0, slash))) {
    registry = text.slice(0, slash);
    repository = text.slice(slash + 1);
    if (!DOMAIN.test(registry)) throw new InvalidImageReferenceError(original, `${quoted(registry)} is not a registry host`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository) throw new InvalidImageReferenceError(original, 'no repository name');
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidImageReferenceError(original, `${quoted(component)} is not a valid repository name component (lower-case letters, digits, . _ -)`);
    }
  }
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) throw new InvalidImageReferenceError(original, 'name longer than 255 characters');
  return { registry, repository };
}

export function parseImageReference(text: string): ImageReference {
  const trimmed = text.trim();
  if (!trimmed) throw new InvalidImageReferenceError(text, 'empty');
  if (trimmed.length > MAX_REFERENCE_LENGTH) throw new InvalidImageReferenceError(text, `${trimmed.length} characters, more than any valid reference`);
  let rest = trimmed;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest) || (digest.startsWith('sha256:') && !SHA256.test(digest))) {
      throw new InvalidImageReferenceError(text, `${quoted(digest)} is not a digest`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidImageReferenceError(text, `${quoted(tag)} is not a valid tag (letters, digits, _ . -; at most 128)`);
  }
  return { ...splitRegistry(rest, text), ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * The name part of a reference exactly as written, without its tag and digest
 * (`host:5000/a/b:t@sha256:…` → `host:5000/a/b`, `busybox:1` → `busybox`):
 * for messages and figures that show names the way people wrote them, where
 * parseImageReference would add Docker Hub's "docker.io/library/".
 */
export function writtenName(text: string): string {
  const ref = parseImageReference(text);
  const suffix = `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
  const trimmed = text.trim();
  return trimmed.slice(0, trimmed.length - suffix.length);
}

/** `[registry/]repository` without tag or digest, as listTags takes it. */
export function parseRepository(text: string): { registry: string; repository: string } {
  const ref = parseImageReference(text);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new InvalidImageReferenceError(text, 'a repository takes no tag or digest');
  }
  return { registry: ref.registry, repository: ref.repository };
}

/** What the manifest endpoint takes: the digest when pinned, else the tag, else "latest". */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function formatImageReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** Docker's tag rule: at most 128 of A-Z a-z 0-9 _ . -, not starting with . or -. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function assertValidTag(tag: string, original = tag): void {
  if (!TAG.test(tag)) throw new InvalidImageReferenceError(original, `${quoted(tag)} is not a valid tag (letters, digits, _ . -; at most 128)`);
}

/** Loopback registries speak plain http (docker and podman treat them as insecure by default); others https. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.[0-9]{1,3}){3}$/.test(host);
}

/** Base URL of the registry's HTTP API (no trailing slash). */
export function registryBaseUrl(registry: string): string {
  if (registry === DOCKER_HUB) return `https://${DOCKER_HUB_API}`;
  return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`;
}

/** What a configured value is, for messages: `build_settings.env: KEY`, `images/x/project.json: metadata.imageName`. */
export type ValueSource = string;

const REFERENCE_ALLOWED = 'use [registry/]repository[:tag][@digest] with a lower-case repository, e.g. quay.io/jupyter/datascience-notebook:2025-01-06';

/** A pin or other full image reference from the user's configuration; throws one line naming where it came from. */
export function checkImageReference(source: ValueSource, value: string): ImageReference {
  try {
    return parseImageReference(value);
  } catch (error) {
    if (!(error instanceof InvalidImageReferenceError)) throw error;
    throw new BuildConfigurationError(`${source}=${quoted(value)} is not an image reference (${error.reason}): ${REFERENCE_ALLOWED}`);
  }
}

/** A repository without tag or digest (e.g. UPSTREAM_CONTAINER_CPU_UNTAGGED). */
export function checkRepositoryName(source: ValueSource, value: string): void {
  const ref = checkImageReference(source, value);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new BuildConfigurationError(`${source}=${quoted(value)} must name a repository without :tag or @digest: remove the tag`);
  }
}

const REGISTRY_ALLOWED = 'use host[:port][/namespace] in lower case without a scheme, e.g. myacr.azurecr.io or localhost:5000/team';

/** IMAGE_REGISTRY: the prefix every image name gets. */
export function checkRegistryPrefix(source: ValueSource, value: string): void {
  if (value === '') return;
  const bad = (reason: string) => new BuildConfigurationError(`${source}=${quoted(value)} is not a registry (${reason}): ${REGISTRY_ALLOWED}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw bad('a URL scheme is not part of an image name');
  if (value !== value.toLowerCase()) throw bad('image names are lower case');
  let ref: ImageReference;
  try {
    ref = parseImageReference(`${value.replace(/\/+$/, '')}/probe`);
  } catch (error) {
    if (!(error instanceof InvalidImageReferenceError)) throw error;
    throw bad(error.reason);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) throw bad('a registry takes no tag or digest');
}

/** A repository name, registry included, is at most 255 characters (the distribution spec's limit). */
export const MAX_NAME_LENGTH = 255;
/** What an image name may use of MAX_NAME_LENGTH, leaving room for a registry and the -<stream> suffix. */
export const MAX_IMAGE_NAME_LENGTH = 200;

const IMAGE_NAME_ALLOWED = 'use lower-case letters, digits and . _ - (slashes between path components), without registry, tag or stream suffix, e.g. geomatics-notebook';

/** An image's published name (metadata.imageName, the generator's --imageName), before registry and stream suffix. */
export function checkImageName(source: ValueSource, value: string): void {
  const bad = (reason: string) => new BuildConfigurationError(`${source}=${quoted(value)} is not an image name (${reason}): ${IMAGE_NAME_ALLOWED}`);
  if (value.length === 0) throw bad('empty');
  if (value.length > MAX_IMAGE_NAME_LENGTH) {
    throw new BuildConfigurationError(
      `${source}=${quoted(value)} is ${value.length} characters long, over the limit of ${MAX_IMAGE_NAME_LENGTH} (registry, name and -<stream> suffix together are at most ${MAX_NAME_LENGTH}): shorten it`,
    );
  }
  if (/[:@]/.test(value)) throw bad('a tag or digest is added by the build');
  for (const component of value.split('/')) {
    if (!PATH_COMPONENT.test(component)) throw bad(`${quoted(component)} is not a valid path component`);
  }
}
