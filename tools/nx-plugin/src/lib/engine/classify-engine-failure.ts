import { parseDockerfile } from '../dockerfile/parse-dockerfile';
import { quoted } from '../errors';
import { parseImageReference } from '../registry/image-reference';
import { EngineRunError } from './engine-output';

/** Why an engine build failed, read from what the engine printed (podman 4, docker buildx). */
export type EngineFailure =
  | { kind: 'pull'; cause: 'unreachable' | 'unauthorized' | 'not-found'; reference: string | null; detail: string }
  | { kind: 'step'; step: string; line: number | null; detail: string }
  | { kind: 'no-space'; detail: string }
  | { kind: 'killed'; detail: string }
  | { kind: 'unknown'; detail: string };

const NO_SPACE = /no space left on device|disk quota exceeded/i;
const KILLED = /signal: killed|\bKilled\b|out of memory|OOMKilled/;
const KILLED_STEP = /exit status 137|signal: killed|out of memory/;
// podman: "initializing source docker://REF: ...", buildx: "failed to solve: REF: failed to resolve source metadata for REF: ..."
const PULLED_REFERENCE = [/initializing source docker:\/\/([^\s:]+(?::\d+)?\/?[^\s:@]*(?::[\w.-]+)?(?:@sha256:[a-f0-9]+)?):/, /failed to resolve source metadata for ([^\s:]+(?::\d+)?[^\s:@]*(?::[\w.-]+)?(?:@sha256:[a-f0-9]+)?):/, /pull access denied for ([^\s,]+)/];
const PULL_CONTEXT = /initializing source docker:|failed to resolve source metadata|pull access denied|creating build container|error pulling image|failed to solve: [^\s]+: /i;
const UNAUTHORIZED = /unauthorized|authentication required|denied|401|403|no basic auth credentials/i;
const NOT_FOUND = /manifest unknown|not found|name unknown|does not exist/i;
const UNREACHABLE = /connection refused|no such host|i\/o timeout|timeout|network is unreachable|server gave HTTP response to HTTPS client|x509|tls:|dial tcp|connection reset/i;
const PODMAN_STEP = /building at STEP "((?:[^"\\]|\\.)*)": (.*)/;
const BUILDX_STEP = /failed to solve: (?:process "(.*)" did not complete successfully: (.*)|(.*))$/;
const BUILDX_LINE = /^\s*(\d+)\s*\|\s*>>>\s?(.*)$/;

/** The last line matching `pattern`, trimmed. */
function lastMatch(lines: string[], pattern: RegExp): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (pattern.test(lines[i])) return lines[i].trim();
  return undefined;
}

/** Removes podman's `time=... level=... msg="` log framing so the cause reads as one clause. */
function clean(line: string): string {
  return line.replace(/^time="[^"]*" level=\w+ msg="/, '').replace(/^(Error|ERROR):\s*/, '').replace(/"$/, '').trim();
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

/**
 * Classifies a failed build from the engine's output and exit code. Pure: the
 * caller captures the output. Disk and kill come first because a pull or a
 * step can fail for those reasons too.
 */
export function classifyEngineFailure(output: string, exitCode: number | undefined, dockerfileText = ''): EngineFailure {
  const lines = output.split(/\r?\n/).filter((line) => line.trim() !== '');
  const noSpace = lastMatch(lines, NO_SPACE);
  if (noSpace) return { kind: 'no-space', detail: clean(noSpace) };
  if (exitCode === 137 || exitCode === 143) return { kind: 'killed', detail: `exit code ${exitCode}` };

  const podmanStep = lastMatch(lines, PODMAN_STEP);
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
  const buildx = lastMatch(lines, BUILDX_STEP);
  if (buildx) {
    const marked = lines.map((line) => BUILDX_LINE.exec(line)).filter((m): m is RegExpExecArray => m !== null);
    const line = marked.length > 0 ? Number(marked[0][1]) : null;
    const step = marked.map((m) => m[2].replace(/\\$/, '').trim()).join(' ').trim();
    const [, command, status, other] = BUILDX_STEP.exec(buildx)!;
    return { kind: 'step', step: step || (command ?? other), line, detail: command ? `${command}: ${status}` : other };
  }
  // Last: a build's own output may say "Killed" without the build being killed.
  const killed = lastMatch(lines, KILLED);
  if (killed) return { kind: 'killed', detail: clean(killed) };
  return { kind: 'unknown', detail: lines.length > 0 ? clean(lines[lines.length - 1]) : exitCode !== undefined ? `exit code ${exitCode}` : 'no output' };
}

export interface FailureContext {
  /** `project:build-stream` */
  task: string;
  engine: string;
  /** The parent the build was given (BASE_CONTAINER), if any. */
  parent: string | null;
  /** The Dockerfile as users name it (relative to the workspace root). */
  dockerfile: string;
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

const short = (text: string) => (text.length > 160 ? `${text.slice(0, 157)}...` : text);

/** One line per kind of failure, naming what failed and the fix. */
export function engineFailureMessage(failure: EngineFailure, context: FailureContext): string {
  const { task, engine } = context;
  switch (failure.kind) {
    case 'pull': {
      const reference = failure.reference ?? context.parent ?? '(the FROM image)';
      const registry = registryOf(reference);
      const what = isParent(reference, context.parent) ? `the parent ${context.parent}` : reference;
      const fix = {
        unreachable: `registry ${registry} is not reachable (${short(failure.detail)}): start it or fix its address (IMAGE_REGISTRY, UPSTREAM_CONTAINER_*), and check the network`,
        unauthorized: `registry ${registry} refused access (${short(failure.detail)}): run \`${engine} login ${registry}\` with an account that may pull ${reference}`,
        'not-found': `registry ${registry} has no such image (${short(failure.detail)}): build and push the parent first (or rerun its build-* target), or fix the pin's tag`,
      }[failure.cause];
      return `${task}: ${engine} cannot pull ${what}: ${fix}`;
    }
    case 'step':
      return `${task}: step ${quoted(failure.step, 80)} of ${context.dockerfile}${failure.line ? `:${failure.line}` : ''} failed (${short(failure.detail)}): fix that instruction (the engine's output above shows why) and rerun`;
    case 'no-space':
      return `${task}: ${engine} ran out of disk space (${short(failure.detail)}): free space (\`${engine} system prune\`, \`${engine} builder prune\`) or move the engine's storage to a larger disk, then rerun`;
    case 'killed':
      return `${task}: the ${engine} build was killed (${short(failure.detail)}; usually out of memory, or stopped by a signal): give the build more memory or fewer parallel tasks (--parallel=1), then rerun`;
    default:
      return `${task} failed in ${engine} (${short(failure.detail)}): see the engine output above; fix ${context.dockerfile} or its context and rerun`;
  }
}

/** The one line for an engine run that threw: classified from its captured output when there is some. */
export function describeEngineFailure(error: unknown, context: FailureContext, dockerfileText: string): string {
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  const output = error instanceof EngineRunError && error.output.trim() ? error.output : message;
  const exitCode = error instanceof EngineRunError ? error.exitCode : undefined;
  return engineFailureMessage(classifyEngineFailure(output, exitCode, dockerfileText), context);
}
