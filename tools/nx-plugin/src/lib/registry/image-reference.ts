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
    if (!DOMAIN.test(registry)) throw new InvalidImageReferenceError(original, `"${registry}" is not a registry host`);
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository) throw new InvalidImageReferenceError(original, 'no repository name');
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw new InvalidImageReferenceError(original, `"${component}" is not a valid repository name component (lower-case letters, digits, . _ -)`);
    }
  }
  if (registry.length + 1 + repository.length > 255) throw new InvalidImageReferenceError(original, 'name longer than 255 characters');
  return { registry, repository };
}

export function parseImageReference(text: string): ImageReference {
  const trimmed = text.trim();
  if (!trimmed) throw new InvalidImageReferenceError(text, 'empty');
  let rest = trimmed;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest) || (digest.startsWith('sha256:') && !SHA256.test(digest))) {
      throw new InvalidImageReferenceError(text, `"${digest}" is not a digest`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidImageReferenceError(text, `"${tag}" is not a valid tag (letters, digits, _ . -; at most 128)`);
  }
  return { ...splitRegistry(rest, text), ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
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

export function assertValidTag(tag: string, original = tag): void {
  if (!TAG.test(tag)) throw new InvalidImageReferenceError(original, `"${tag}" is not a valid tag (letters, digits, _ . -; at most 128)`);
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
