import { parseDockerfile } from '../dockerfile/parse-dockerfile';
import { quoted } from '../errors';
import { parseImageReference } from '../registry/image-reference';
import { EngineRunError } from './engine-output';

/** Why an engine build or push failed, read from what the engine printed (podman 4, docker buildx). */
export type EngineFailure =
  | { kind: 'pull'; cause: 'unreachable' | 'unauthorized' | 'not-found'; reference: string | null; detail: string }
  | { kind: 'unreachable'; registry: string | null; detail: string }
  | { kind: 'registry-error'; registry: string | null; status: number; detail: string }
  | { kind: 'throttled'; registry: string | null; detail: string }
  | { kind: 'no-space'; where: 'tmpdir' | 'storage'; path: string | null; detail: string }
  | { kind: 'interrupted'; detail: string }
  | { kind: 'killed'; detail: string }
  | { kind: 'step'; step: string; line: number | null; detail: string }
  | { kind: 'unknown'; detail: string };

/** What the caller knows of the machine when the engine failed, beyond its output. */
export interface FailureFacts {
  /** The folder the engine keeps temporary files in (TMPDIR, or the engine's default). */
  tmpDir?: string;
}

const NO_SPACE = /no space left on device|disk quota exceeded/i;
const NO_SPACE_PATH = /(?:write|mkdir|open|create|copy|rename|link|symlink|truncate|lchown)\s+"?(\/[^\s":]+)"?:\s*(?:no space left on device|disk quota exceeded)/i;
/** What podman says when the file it streams a layer into stops taking data (its TMPDIR filled up). */
const TEMP_FILE_BROKE = /storing layer "?[0-9a-f]+"? to file|read\/write on closed pipe/;
const KILLED = /signal: killed|\bKilled\b|out of memory|OOMKilled/;
const KILLED_STEP = /exit status 137|signal: killed|out of memory/;
const INTERRUPTED = /signal: (?:interrupt|terminated)|\binterrupted\b|context canceled/i;
// podman: "initializing source docker://REF: ...", buildx: "failed to solve: REF: failed to resolve source metadata for REF: ..."
const PULLED_REFERENCE = [/initializing source docker:\/\/([^\s:]+(?::\d+)?\/?[^\s:@]*(?::[\w.-]+)?(?:@sha256:[a-f0-9]+)?):/, /failed to resolve source metadata for ([^\s:]+(?::\d+)?[^\s:@]*(?::[\w.-]+)?(?:@sha256:[a-f0-9]+)?):/, /pull access denied for ([^\s,]+)/];
const PULL_CONTEXT = /initializing source docker:|failed to resolve source metadata|pull access denied|creating build container|error pulling image|failed to solve: [^\s]+: /i;
const UNAUTHORIZED = /unauthorized|authentication required|denied|401|403|no basic auth credentials/i;
const NOT_FOUND = /manifest unknown|not found|name unknown|does not exist/i;
const UNREACHABLE = /connection refused|no such host|i\/o timeout|timeout|network is unreachable|server gave HTTP response to HTTPS client|x509|tls:|dial tcp|connection reset|broken pipe|use of closed network connection|unexpected EOF|\bEOF\b/i;
/** A push or a registry write: podman's "writing blob/manifest", "trying to reuse blob … at destination", buildx's "failed to push". */
const PUSH_CONTEXT = /writing (?:blob|manifest)|uploading (?:manifest|blob|layer)|trying to reuse blob|at destination|failed to push|pushing (?:layer|manifest)|failed commit on ref|error pushing/i;
/** The registry's HTTP status, as podman ("received unexpected HTTP status: 500 …", "429 (Too Many Requests)") and buildx ("unexpected status from PUT request to …: 500 …") print it. */
const HTTP_STATUS = [/unexpected HTTP status: (\d{3})/i, /unexpected status(?: from \w+ request to \S+)?: (\d{3})/i, /\b(\d{3}) \([A-Z][A-Za-z ]+\)/, /status code:? (\d{3})/i, /\bHTTP (\d{3})\b/];
const THROTTLED = /toomanyrequests|too many requests|\b429\b/i;
const PODMAN_STEP = /building at STEP "((?:[^"\\]|\\.)*)": (.*)/;
const BUILDX_STEP = /failed to solve: (?:process "(.*)" did not complete successfully: (.*)|(.*))$/;
const BUILDX_LINE = /^\s*(\d+)\s*\|\s*>>>\s?(.*)$/;
/** A registry named in a push error: podman's "manifest X to HOST/REPO", "pinging container registry HOST", or a URL. */
const NAMED_REGISTRY = [/pinging container registry ([^\s:]+(?::\d+)?)/, /(?:manifest|blob) \S+ to ([^\s/:]+(?::\d+)?)\//, /https?:\/\/([^\s/"]+)/, /failed to push ([^\s/:]+(?::\d+)?)\//];

/** The last line matching `pattern`, trimmed. */
function lastMatch(lines: string[], pattern: RegExp): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i])) return lines[i].trim();
  return undefined;
}

/**
 * The cause as one clause: without podman's `time=... level=... msg="` framing,
 * the "Error:" prefix, nx-container's "podman failed with:" wrapping, and the
 * query of upload URLs (an opaque upload state, often hundreds of characters).
 * Never cut: the end of a cause is usually its point.
 */
function clean(line: string): string {
  return line
    .replace(/^time="[^"]*" level=\w+ msg="/, '')
    .replace(/^(?:(?:podman|docker) failed with:\s*)?(?:Error|ERROR):\s*/, '')
    .replace(/(https?:\/\/[^\s"?]+)\?[^\s"]*/g, '$1')
    .replace(/\\"/g, '"')
    .replace(/"$/, '')
    .trim();
}

/** The clause of an error chain ("a: b: c") where `pattern` first matches: the root cause, without the wrapping. */
function rootCause(line: string, pattern: RegExp): string {
  const at = line.search(pattern);
  if (at < 0) return line;
  const start = line.lastIndexOf(': ', at);
  return line.slice(start < 0 ? 0 : start + 2);
}

/** Finds the Dockerfile line of a step the engine names by its text (continuations joined, as podman prints it). */
export function lineOfStep(dockerfileText: string, step: string): number | null {
  const wanted = step.replace(/\s+/g, ' ').trim().toLowerCase();
  const match = parseDockerfile(dockerfileText).instructions.find((i) => `${i.keyword} ${i.args}`.toLowerCase() === wanted);
  return match ? match.line : null;
}

const isUnder = (path: string, dir: string | undefined) => !!dir && (path === dir || path.startsWith(`${dir.replace(/\/+$/, '')}/`));

function namedRegistry(line: string): string | null {
  for (const pattern of NAMED_REGISTRY) {
    const found = pattern.exec(line)?.[1];
    if (found) return found;
  }
  return null;
}

function httpStatus(line: string): number | null {
  for (const pattern of HTTP_STATUS) {
    const found = pattern.exec(line)?.[1];
    if (found) return Number(found);
  }
  return null;
}

/** A failed push (or registry write): throttled, an HTTP error, or the registry went away; undefined when `line` is none of these. */
function registryFailure(line: string): EngineFailure | undefined {
  const detail = clean(line);
  const registry = namedRegistry(detail);
  const status = httpStatus(detail);
  if (THROTTLED.test(detail) || status === 429) return { kind: 'throttled', registry, detail };
  if (status !== null && status >= 400) return { kind: 'registry-error', registry, status, detail };
  // podman names a refused login without its status.
  if (/unauthorized|authentication required/i.test(detail)) return { kind: 'registry-error', registry, status: 401, detail };
  if (UNREACHABLE.test(detail)) return { kind: 'unreachable', registry, detail };
  return undefined;
}

/**
 * Classifies a failed build or push from the engine's output and exit code.
 * Pure: the caller captures the output (and `facts` about the machine). Disk,
 * signals and kills come first because a pull, a push or a step can fail for
 * those reasons too.
 */
export function classifyEngineFailure(output: string, exitCode: number | undefined, dockerfileText = '', facts: FailureFacts = {}): EngineFailure {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  const noSpace = lastMatch(lines, NO_SPACE);
  if (noSpace) {
    const detail = clean(noSpace);
    const path = NO_SPACE_PATH.exec(detail)?.[1] ?? null;
    return { kind: 'no-space', where: path && isUnder(path, facts.tmpDir) ? 'tmpdir' : 'storage', path, detail: rootCause(detail, NO_SPACE_PATH.test(detail) ? NO_SPACE_PATH : NO_SPACE) };
  }
  if (exitCode === 130 || exitCode === 143) return { kind: 'interrupted', detail: exitCode === 130 ? 'SIGINT' : 'SIGTERM' };
  if (exitCode === 137) return { kind: 'killed', detail: `exit code ${exitCode}` };

  const podmanStep = lastMatch(lines, PODMAN_STEP);
  const stepFailed = podmanStep && /exit status \d+|did not complete successfully/.test(podmanStep);
  // podman never says "no space" when TMPDIR fills while it stores a layer there (and it frees the file at
  // once, so TMPDIR is not even full afterwards): the pipe it writes the layer through breaks, and that is all it says.
  const brokenTempFile = lastMatch(lines, TEMP_FILE_BROKE);
  if (brokenTempFile && !stepFailed) {
    return { kind: 'no-space', where: 'tmpdir', path: facts.tmpDir ?? null, detail: rootCause(clean(brokenTempFile), TEMP_FILE_BROKE) };
  }
  if (podmanStep) {
    const [, step, detail] = PODMAN_STEP.exec(podmanStep)!;
    const text = step.replace(/\\"/g, '"');
    // A step whose process the kernel killed is a kill, not a mistake in the step.
    if (KILLED_STEP.test(detail)) return { kind: 'killed', detail: `step "${text}": ${detail.trim()}` };
    return { kind: 'step', step: text, line: lineOfStep(dockerfileText, text), detail: detail.trim() };
  }
  const pull = lastMatch(lines, PULL_CONTEXT);
  if (pull && (UNAUTHORIZED.test(pull) || NOT_FOUND.test(pull) || UNREACHABLE.test(pull)) && !/did not complete successfully/.test(pull)) {
    const reference = PULLED_REFERENCE.map((pattern) => pattern.exec(pull)?.[1]).find(Boolean) ?? null;
    const cause = UNAUTHORIZED.test(pull) ? 'unauthorized' : UNREACHABLE.test(pull) ? 'unreachable' : 'not-found';
    const pattern = { unauthorized: UNAUTHORIZED, unreachable: UNREACHABLE, 'not-found': NOT_FOUND }[cause];
    return { kind: 'pull', cause, reference, detail: rootCause(clean(pull), pattern) };
  }
  const push = lastMatch(lines, PUSH_CONTEXT);
  const pushFailure = push && registryFailure(push);
  if (pushFailure) return pushFailure;
  const buildx = lastMatch(lines, BUILDX_STEP);
  if (buildx && /did not complete successfully/.test(buildx)) {
    const marked = lines.map((line) => BUILDX_LINE.exec(line)).filter((m): m is RegExpExecArray => m !== null);
    const line = marked.length > 0 ? Number(marked[0][1]) : null;
    const step = marked.map((m) => m[2].replace(/\\$/, '').trim()).join(' ').trim();
    const [, command, status] = BUILDX_STEP.exec(buildx)!;
    return { kind: 'step', step: step || command, line, detail: `${command}: ${status}` };
  }
  const interrupted = lastMatch(lines, INTERRUPTED);
  if (interrupted) return { kind: 'interrupted', detail: clean(interrupted) };
  // Last: a build's own output may say "Killed" without the build being killed.
  const killed = lastMatch(lines, KILLED);
  if (killed) return { kind: 'killed', detail: clean(killed) };
  const last = lines.length > 0 ? clean(lines[lines.length - 1]) : exitCode !== undefined ? `exit code ${exitCode}` : 'no output';
  return { kind: 'unknown', detail: last };
}

export interface FailureContext {
  /** `project:build-stream` */
  task: string;
  engine: string;
  /** The parent the build was given (BASE_CONTAINER), if any. */
  parent: string | null;
  /** The Dockerfile as users name it (relative to the workspace root). */
  dockerfile: string;
  /** The image being built and pushed: its registry is the one a push failure is about when the engine does not name it. */
  image?: string;
}

function registryOf(reference: string): string {
  try {
    return parseImageReference(reference).registry;
  } catch {
    return reference.split('/')[0];
  }
}

/** podman names a `name:tag@digest` parent by `name@digest` alone: the same image all the same. */
function isParent(reference: string, parent: string | null): boolean {
  if (!parent) return false;
  if (reference === parent) return true;
  try {
    const pulled = parseImageReference(reference);
    const expected = parseImageReference(parent);
    return pulled.registry === expected.registry && pulled.repository === expected.repository && (pulled.digest ?? pulled.tag) === (expected.digest ?? expected.tag);
  } catch {
    return false;
  }
}

/** One line per kind of failure, naming what failed, its whole cause and the fix. Only a failing step names the Dockerfile. */
export function engineFailureMessage(failure: EngineFailure, context: FailureContext): string {
  const { task, engine } = context;
  const pushed = context.image ?? '(the image)';
  const registryName = (named: string | null) => named ?? (context.image ? registryOf(context.image) : 'the registry');
  switch (failure.kind) {
    case 'pull': {
      const reference = failure.reference ?? context.parent ?? '(the FROM image)';
      const registry = registryOf(reference);
      const what = isParent(reference, context.parent) ? `the parent ${context.parent}` : reference;
      const fix = {
        unreachable: `registry ${registry} is not reachable (${failure.detail}): start it or fix its address (IMAGE_REGISTRY, UPSTREAM_CONTAINER_*), and check the network`,
        unauthorized: `registry ${registry} refused access (${failure.detail}): run \`${engine} login ${registry}\` with an account that may pull ${reference}`,
        'not-found': `registry ${registry} has no such image (${failure.detail}): build and push the parent first (or rerun its build-* target), or fix the pin's tag`,
      }[failure.cause];
      return `${task}: ${engine} cannot pull ${what}: ${fix}`;
    }
    case 'unreachable':
      return `${task}: ${engine} lost the connection to registry ${registryName(failure.registry)} while pushing ${pushed} (${failure.detail}): check that the registry is up and reachable (IMAGE_REGISTRY, the network, a proxy), then rerun`;
    case 'registry-error':
      return `${task}: registry ${registryName(failure.registry)} answered HTTP ${failure.status} while ${engine} pushed ${pushed} (${failure.detail}): ${failure.status >= 500 ? "the registry failed: check its health and storage, then rerun" : 'check the registry, your login and the image name, then rerun'}`;
    case 'throttled':
      return `${task}: registry ${registryName(failure.registry)} throttled ${engine}'s push of ${pushed} (${failure.detail}): wait, or push fewer images at once (--parallel=1), then rerun`;
    case 'no-space':
      return failure.where === 'tmpdir'
        ? `${task}: ${engine} ran out of disk space in TMPDIR${failure.path ? ` (${failure.path})` : ''} (${failure.detail}): free space there or point TMPDIR at a larger disk (${engine} keeps image layers there while it builds and pushes), then rerun`
        : `${task}: ${engine} ran out of disk space in its storage${failure.path ? ` (${failure.path})` : ''} (${failure.detail}): free space (\`${engine} system prune\`) or move the engine's storage to a larger disk, then rerun`;
    case 'interrupted':
      return `${task}: the ${engine} run was interrupted (${failure.detail}): rerun to finish it`;
    case 'killed':
      return `${task}: the ${engine} build was killed (${failure.detail}; usually out of memory, or stopped by a signal): give the build more memory or fewer parallel tasks (--parallel=1), then rerun`;
    case 'step':
      return `${task}: step ${quoted(failure.step, 80)} of ${context.dockerfile}${failure.line ? `:${failure.line}` : ''} failed (${failure.detail}): fix that instruction (the engine's output above shows why) and rerun`;
    default:
      return `${task}: ${engine} failed (${failure.detail}): see the engine's output above`;
  }
}

/** The one line for an engine run that threw: classified from its captured output when there is some. */
export function describeEngineFailure(error: unknown, context: FailureContext, dockerfileText: string, facts: FailureFacts = {}): string {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const output = error instanceof EngineRunError && error.output.trim() ? error.output : message;
  const exitCode = error instanceof EngineRunError ? error.exitCode : undefined;
  return engineFailureMessage(classifyEngineFailure(output, exitCode, dockerfileText, facts), context);
}
