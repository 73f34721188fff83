import { BuildConfigurationError, quoted } from '../errors';

/**
 * Registry errors are user-environment errors: the message names the registry
 * and the fix, and is meant to be printed as one line without a stack trace.
 */
export class RegistryError extends BuildConfigurationError {
  constructor(
    message: string,
    readonly registry: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

/** A reference that cannot be parsed ("Foo:bar:baz", "repo@sha256:short", ...). */
export class InvalidImageReferenceError extends BuildConfigurationError {
  constructor(
    readonly reference: string,
    readonly reason: string,
  ) {
    super(`${quoted(reference)} is not a valid image reference (${reason}): use [registry/]repository[:tag][@digest], e.g. localhost:5000/base-notebook-cpu:latest`);
    this.name = 'InvalidImageReferenceError';
  }
}

/**
 * Why a registry said 401/403: our login was refused, we had none, or the
 * login is valid but may not touch this repository (bearer "insufficient_scope").
 */
export type AuthFailure = 'refused' | 'missing' | 'scope';

export class RegistryAuthError extends RegistryError {
  constructor(
    registry: string,
    readonly repository: string,
    readonly status: number,
    readonly failure: AuthFailure,
  ) {
    super(
      failure === 'refused'
        ? `registry ${registry} refused our credentials for ${repository} (HTTP ${status}): run \`podman login ${registry}\` (or docker login) with a valid account`
        : failure === 'missing'
          ? `registry ${registry} requires credentials for ${repository} (HTTP ${status}) and none were found: run \`podman login ${registry}\` (or docker login)`
          : `registry ${registry} accepted our login but denies it access to ${repository} (HTTP ${status}, insufficient scope): check the repository name, or run \`podman login ${registry}\` (or docker login) with an account that may push it`,
      registry,
    );
    this.name = 'RegistryAuthError';
  }

  get hadCredentials(): boolean {
    return this.failure !== 'missing';
  }
}

/** Nothing answered: connection refused, unknown host, timeout, TLS failure. */
export class RegistryUnreachableError extends RegistryError {
  constructor(
    registry: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`registry ${registry} is not reachable (${reason}): start it or fix IMAGE_REGISTRY`, registry);
    this.name = 'RegistryUnreachableError';
  }
}

/** Any other unexpected HTTP answer. */
export class RegistryHttpError extends RegistryError {
  constructor(
    registry: string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`registry ${registry} answered HTTP ${status} to ${method} ${path}${detail ? ` (${detail})` : ''}: check the registry and the image name`, registry);
    this.name = 'RegistryHttpError';
  }
}

/** A manifest that must exist (the source of a retag) does not. */
export class ManifestNotFoundError extends RegistryError {
  constructor(
    registry: string,
    readonly reference: string,
  ) {
    super(`registry ${registry} has no manifest ${reference}: push it first or check the tag`, registry);
    this.name = 'ManifestNotFoundError';
  }
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  EPROTO: 'TLS handshake failed; an http-only registry?',
  ERR_SSL_WRONG_VERSION_NUMBER: 'TLS handshake failed; an http-only registry?',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate issuer unknown',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

/** The system error code behind a failed fetch (undici wraps it in `cause`, sometimes in an AggregateError). */
export function networkErrorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && code !== 'ERR_INVALID_ARG_TYPE') return code;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return undefined;
}

/** Turns a fetch failure into RegistryUnreachableError (a RegistryError passes through unchanged). */
export function toUnreachableError(registry: string, error: unknown, timeoutMs: number): RegistryUnreachableError {
  if (error instanceof RegistryError) throw error;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new RegistryUnreachableError(registry, `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`, 'TIMEOUT');
  }
  const code = networkErrorCode(error);
  if (code) return new RegistryUnreachableError(registry, NETWORK_REASONS[code] ?? code.toLowerCase().replace(/_/g, ' '), code);
  const message = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new RegistryUnreachableError(registry, message.split('\n')[0]);
}
