import type { DeclaredCheck } from './inherited-checks';

/** What a check run inside the container gave back. */
export interface ExecOutcome {
  /** Exit code; null when the process was killed (time limit). */
  code: number | null;
  /** stdout and stderr together. */
  output: string;
  stdout: string;
  timedOut: boolean;
}

/** Where a failing check came from and where its fix goes, for the message. */
export interface CheckContext {
  project: string;
  /** The Dockerfile of the image under test, as messages name it (images/<project>/Dockerfile). */
  dockerfile: string;
  uid: number;
}

/** The verdict on one check, printed as one line. */
export interface CheckResult {
  id: string;
  label: string;
  ok: boolean;
  /** What went wrong (failures only). */
  detail?: string;
  /** Where to fix it (failures only). */
  fix?: string;
  /** The checks.json that declared it; absent for the built-in checks. */
  declaredBy?: string;
  file?: string;
  durationMs?: number;
}

/** A check that runs a process inside the running container. */
export interface ExecCheck {
  id: string;
  label: string;
  argv: string[];
  declaredBy?: string;
  file?: string;
  /** Reads the outcome; returns null when it passed, else what failed and the fix. */
  judge(outcome: ExecOutcome): { detail: string; fix: string } | null;
}

const SCRATCH = '.kf-image-test-$$';

/** The last meaningful lines of a process's output, on one line. */
export function outputTail(output: string, lines = 2, max = 240): string {
  const tail = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-lines)
    .join(' | ');
  return tail.length > max ? `…${tail.slice(-max)}` : tail || 'no output';
}

function failure(outcome: ExecOutcome, timeLimitMs: number): string {
  if (outcome.timedOut) return `timed out after ${Math.round(timeLimitMs / 1000)}s: ${outputTail(outcome.output)}`;
  return `exited ${outcome.code ?? 'abnormally'}: ${outputTail(outcome.output)}`;
}

const NUMERIC_USER = /^(\d+)(:\d+)?$/;

/**
 * The image config's User (what `USER` last set) is a uid, not a name, and not
 * 0: Kubernetes' runAsNonRoot cannot verify a named user without runAsUser
 * and refuses the pod, and Kubeflow's notebook controller does not set it.
 */
export function imageUserVerdict(user: string, ctx: CheckContext): CheckResult {
  const result = { id: 'image-user', label: `the image config's User is a numeric uid, not 0 (Kubernetes runAsNonRoot)`, ok: true };
  const fix = `end ${ctx.dockerfile} with USER \${NB_UID} (the number, uid ${ctx.uid}), not a user name`;
  const value = user.trim();
  const match = NUMERIC_USER.exec(value);
  if (!match) return { ...result, ok: false, detail: value ? `User is "${value}", a name Kubernetes cannot check against runAsNonRoot` : 'User is empty, so the image runs as root', fix };
  if (Number(match[1]) === 0) return { ...result, ok: false, detail: `User is "${value}" (root)`, fix };
  return result;
}

/** The notebook user owns its image: uid 1000, never root. */
export function userCheck(ctx: CheckContext, timeLimitMs: number): ExecCheck {
  return {
    id: 'user',
    label: `runs as uid ${ctx.uid}, not root`,
    argv: ['id', '-u'],
    judge(outcome) {
      const fix = `end ${ctx.dockerfile} with USER \${NB_UID} (jovyan, uid ${ctx.uid})`;
      if (outcome.code !== 0) return { detail: `"id -u" ${failure(outcome, timeLimitMs)}`, fix };
      const uid = outcome.stdout.trim().split('\n').pop()?.trim();
      if (uid === String(ctx.uid)) return null;
      return { detail: uid === '0' ? 'runs as root (uid 0)' : `runs as uid ${uid}`, fix };
    },
  };
}

/** The user can write to $HOME (notebooks, settings, pip --user). */
export function homeCheck(ctx: CheckContext, timeLimitMs: number): ExecCheck {
  const script = [
    'test -n "$HOME" || { echo "HOME is not set"; exit 2; }',
    `f="$HOME/${SCRATCH}"`,
    'touch "$f" && rm -f "$f"',
  ].join('; ');
  return {
    id: 'home-writable',
    label: 'the user can write to $HOME',
    argv: ['sh', '-c', script],
    judge(outcome) {
      if (outcome.code === 0) return null;
      return {
        detail: failure(outcome, timeLimitMs),
        fix: `end each RUN of ${ctx.dockerfile} that writes under /home/$NB_USER with fix-permissions /home/$NB_USER, in the same RUN`,
      };
    },
  };
}

/** The user can install packages: $CONDA_DIR (and its site-packages) are writable, which is what fix-permissions is for. */
export function condaCheck(ctx: CheckContext, timeLimitMs: number): ExecCheck {
  const script = [
    'test -n "$CONDA_DIR" || { echo "CONDA_DIR is not set"; exit 2; }',
    'test -d "$CONDA_DIR" || { echo "CONDA_DIR=$CONDA_DIR is not a directory"; exit 2; }',
    `for d in "$CONDA_DIR" "$CONDA_DIR"/lib/python3*/site-packages; do test -d "$d" || continue; f="$d/${SCRATCH}"; touch "$f" && rm -f "$f" || exit 1; done`,
  ].join('; ');
  return {
    id: 'conda-writable',
    label: 'the user can install into $CONDA_DIR',
    argv: ['sh', '-c', script],
    judge(outcome) {
      if (outcome.code === 0) return null;
      return {
        detail: failure(outcome, timeLimitMs),
        fix: `end each RUN of ${ctx.dockerfile} that installs into $CONDA_DIR with fix-permissions $CONDA_DIR, in the same RUN`,
      };
    },
  };
}

/** Runs a command line with bash where the image has it (docker-stacks images do), else sh. */
export function shellArgv(command: string): string[] {
  return ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -c "$1"; fi; exec sh -c "$1"', 'kf-check', command];
}

/** A check declared in a checks.json of the image's chain. */
export function declaredCheck(check: DeclaredCheck, ctx: CheckContext, timeLimitMs: number): ExecCheck {
  const own = check.declaredBy === ctx.project;
  const where = own
    ? `fix ${ctx.dockerfile}`
    : `it is inherited from ${check.declaredBy}: find what ${ctx.dockerfile} (or an image between) removed or broke`;
  const base = { declaredBy: check.declaredBy, file: check.file };
  const remove = `or change the check in ${check.file}`;
  switch (check.kind) {
    case 'python':
      return {
        ...base,
        id: `python:${check.subject}`,
        label: `python import ${check.subject}`,
        argv: ['python', '-c', `import ${check.subject}`],
        judge: (outcome) =>
          outcome.code === 0
            ? null
            : { detail: failure(outcome, timeLimitMs), fix: `${where} (install it with mamba/pip, then fix-permissions $CONDA_DIR in the same RUN), ${remove}` },
      };
    case 'r':
      return {
        ...base,
        id: `r:${check.subject}`,
        label: `R library(${check.subject})`,
        argv: ['Rscript', '-e', `library("${check.subject}")`],
        judge: (outcome) =>
          outcome.code === 0
            ? null
            : { detail: failure(outcome, timeLimitMs), fix: `${where} (install r-${check.subject.toLowerCase()} with mamba, then fix-permissions $CONDA_DIR), ${remove}` },
      };
    case 'command':
      return {
        ...base,
        id: `command:${check.subject}`,
        label: `command "${check.subject}"`,
        argv: shellArgv(check.subject),
        judge: (outcome) =>
          outcome.code === 0 ? null : { detail: failure(outcome, timeLimitMs), fix: `${where} so that it succeeds, ${remove}` },
      };
  }
}

/** Every check that runs inside the container, in order: the built-in ones, then the chain's, root first. */
export function execChecks(declared: DeclaredCheck[], ctx: CheckContext, timeLimitMs: number): ExecCheck[] {
  return [
    userCheck(ctx, timeLimitMs),
    homeCheck(ctx, timeLimitMs),
    condaCheck(ctx, timeLimitMs),
    ...declared.map((check) => declaredCheck(check, ctx, timeLimitMs)),
  ];
}
