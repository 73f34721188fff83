import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';
import { execChecks, imageUserVerdict, type CheckResult, type ExecCheck, type ExecOutcome } from './check-definitions';
import { NOTEBOOK_PORT, notebookUrl, parsePublishedPort, runArgs } from '../image-runtime/container-args';
import { describeAnswer, waitForHttp as defaultWaitForHttp, type WaitOptions, type WaitOutcome } from '../image-runtime/http-wait';
import type { DeclaredCheck } from './inherited-checks';
import { formatContainerLog, formatFailure, formatPass } from './results';
import { failureReason, type Cli } from '../engine/engine-cli';

/** Everything one container test needs, resolved from the workspace by the executor. */
export interface ContainerTestPlan {
  project: string;
  stream: Stream;
  /** "<project>:test-<stream>", for labels and messages. */
  task: string;
  /** The Dockerfile that built the image, as messages name it. */
  dockerfile: string;
  image: string;
  containerName: string;
  nbPrefix: string;
  /** Host address the notebook port is published on and probed at. */
  host: string;
  uid: number;
  startTimeoutMs: number;
  checkTimeoutMs: number;
  gpus?: string;
  /** The chain's declared checks, root first. */
  checks: DeclaredCheck[];
}

export interface ContainerTestIo {
  runtime: Cli;
  info(line: string): void;
  error(line: string): void;
  /** Protects the container against Ctrl-C while it exists; returns the function that stops protecting. */
  guard?(name: string): () => void;
  waitForHttp?(url: string, options: WaitOptions): Promise<WaitOutcome>;
}

export interface ContainerTestOutcome {
  success: boolean;
  results: CheckResult[];
  url?: string;
}

async function containerState(runtime: Cli, name: string): Promise<{ running: boolean; exitCode: number | null }> {
  const result = await runtime.run(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name], { timeoutMs: 30_000 });
  if (result.code !== 0) return { running: false, exitCode: null };
  const [running, exitCode] = result.stdout.trim().split(/\s+/);
  return { running: running === 'true', exitCode: exitCode === undefined ? null : Number(exitCode) };
}

function serverFailure(plan: ContainerTestPlan, outcome: Exclude<WaitOutcome, { ok: true }>): { detail: string; fix: string } {
  const fix = `the image's start command must serve the notebook on port ${NOTEBOOK_PORT} under $NB_PREFIX (Kubeflow's base_url); see the container log below`;
  if (outcome.reason === 'exited') {
    return {
      detail: `the container exited (code ${outcome.exitCode ?? 'unknown'}) before the server answered under ${plan.nbPrefix}`,
      fix,
    };
  }
  return {
    detail: `no 2xx/3xx answer under ${plan.nbPrefix} within ${Math.round(plan.startTimeoutMs / 1000)}s (${describeAnswer(outcome.last)})`,
    fix: `${fix}, or raise startTimeout if it is only slow`,
  };
}

async function runExecCheck(runtime: Cli, name: string, check: ExecCheck, timeoutMs: number): Promise<CheckResult> {
  const started = Date.now();
  const result = await runtime.run(['exec', name, ...check.argv], { timeoutMs });
  const outcome: ExecOutcome = {
    code: result.code,
    stdout: result.stdout,
    output: [result.stdout, result.stderr, result.spawnError ?? ''].filter(Boolean).join('\n'),
    timedOut: result.timedOut,
  };
  const verdict = check.judge(outcome);
  return {
    id: check.id,
    label: check.label,
    ok: verdict === null,
    ...(verdict ?? {}),
    declaredBy: check.declaredBy,
    file: check.file,
    durationMs: Date.now() - started,
  };
}

/**
 * Reads the image config's User (numeric, not root), starts the image as a
 * user would, then checks, one by one: the server
 * answers under NB_PREFIX, it runs as the notebook user, $HOME and
 * $CONDA_DIR are writable, and every check its chain declares. Every failure
 * is one line; the container is removed whatever happens.
 */
export async function runContainerTest(plan: ContainerTestPlan, io: ContainerTestIo): Promise<ContainerTestOutcome> {
  const { runtime } = io;
  const name = plan.containerName;
  const results: CheckResult[] = [];
  const record = (result: CheckResult) => {
    results.push(result);
    if (result.ok) io.info(formatPass(plan.project, result));
    else io.error(formatFailure(plan.image, plan.project, result));
  };
  const unguard = io.guard?.(name) ?? (() => undefined);
  let url: string | undefined;
  let removed = false;
  try {
    const config = await runtime.run(['image', 'inspect', '--format', '{{.Config.User}}', plan.image], { timeoutMs: 30_000 });
    if (config.code !== 0) {
      throw new BuildConfigurationError(
        `cannot inspect ${plan.image} with ${runtime.name} (${failureReason(config)}): rebuild it (nx run ${plan.project}:build-${plan.stream} --skip-nx-cache)`,
      );
    }
    record(imageUserVerdict(config.stdout, { project: plan.project, dockerfile: plan.dockerfile, uid: plan.uid }));
    const started = await runtime.run(
      runArgs({ image: plan.image, name, role: 'test', target: plan.task, nbPrefix: plan.nbPrefix, host: plan.host, gpus: plan.gpus }),
      { timeoutMs: 30 * 60_000 },
    );
    if (started.code !== 0) {
      throw new BuildConfigurationError(
        `cannot start ${plan.image} with ${runtime.name} (${failureReason(started)}): rebuild it (nx run ${plan.project}:build-${plan.stream} --skip-nx-cache) or log in to its registry`,
      );
    }
    const port = parsePublishedPort((await runtime.run(['port', name, `${NOTEBOOK_PORT}/tcp`], { timeoutMs: 30_000 })).stdout);
    if (port === null) throw new BuildConfigurationError(`${runtime.name} published no host port for ${name}:${NOTEBOOK_PORT}`);
    url = notebookUrl(plan.host, port, plan.nbPrefix);
    io.info(`container ${name} started; waiting up to ${Math.round(plan.startTimeoutMs / 1000)}s for ${url}`);

    const waited = await (io.waitForHttp ?? defaultWaitForHttp)(url, {
      timeoutMs: plan.startTimeoutMs,
      containerState: () => containerState(runtime, name),
    });
    if (waited.ok) {
      record({ id: 'server', label: `the server answers under NB_PREFIX ${plan.nbPrefix}`, ok: true, durationMs: waited.elapsedMs });
    } else {
      record({ id: 'server', label: `the server answers under NB_PREFIX ${plan.nbPrefix}`, ok: false, ...serverFailure(plan, waited), durationMs: waited.elapsedMs });
      const logs = await runtime.run(['logs', '--tail', '200', name], { timeoutMs: 30_000 });
      for (const line of formatContainerLog(name, `${logs.stdout}${logs.stderr}`)) io.error(line);
    }

    const checks = execChecks(plan.checks, { project: plan.project, dockerfile: plan.dockerfile, uid: plan.uid }, plan.checkTimeoutMs);
    if (!(await containerState(runtime, name)).running) {
      record({
        id: 'not-run',
        label: `${checks.length} checks inside the container`,
        ok: false,
        detail: 'not run: the container is not running',
        fix: 'make the container start and stay up first (see the server check above)',
      });
    } else {
      for (const check of checks) record(await runExecCheck(runtime, name, check, plan.checkTimeoutMs));
    }
  } finally {
    const rm = await runtime.run(['rm', '--force', '--volumes', name], { timeoutMs: 120_000 });
    removed = rm.code === 0 || /no such container/i.test(rm.stderr);
    unguard();
    if (!removed) {
      io.error(`could not remove container ${name} (${failureReason(rm)}): remove it with ${runtime.name} rm -f ${name}`);
    }
  }
  return { success: removed && results.every((result) => result.ok), results, url };
}

