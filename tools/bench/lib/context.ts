import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readE2eServices, type E2eServices } from '../../e2e/support/e2e-services';
import { createPodmanMachine, type PodmanMachine } from '../../e2e/support/podman-fixtures';
import type { TempWorkspace } from '../../e2e/support/temp-workspace';
import { EngineLog, engineSecondsByProject, helperCpuByProject, taskCpuByProject } from './engine-log';
import type { WorkPerImage } from './fixtures';
import { taskBreakdown, taskSecondsFromProfile, type TaskBreakdown } from './nx-runs';
import { AccessLogWindow, pulledBytes, type PulledBytes } from './registry-log';
import { round, roundAll, type ScenarioResult } from './report';

export const TARGET = 'build-cpu';
export const STREAM = 'cpu';
const SERVICES_HINT = 'run `bash tools/scripts/e2e-services.sh start` (once per machine first `bash tools/scripts/e2e-services.sh install`)';

export interface BenchConfig extends WorkPerImage {
  samples: number;
  /** Changes measured per change scenario (leaf-change, minimal-change); the median one is reported. */
  changeSamples: number;
  keep: boolean;
  /** Images of the synthetic hierarchy of the scale scenarios; 0 skips them. */
  scaleImages: number;
  /** The groups of scenarios to run (BENCH_ONLY), all by default. */
  only: ReadonlySet<ScenarioGroup>;
}

/**
 * Scenarios that stand on their own: `hierarchy` is cold, noop, leaf-change,
 * minimal-change, fresh-runner and pruned-engine, which build on each other's
 * state; the others set up what they need themselves.
 */
export const SCENARIO_GROUPS = ['hierarchy', 'fresh-runner-change', 'scale', 'inspect'] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export function scenarioGroupsFrom(raw: string | undefined): ReadonlySet<ScenarioGroup> {
  if (raw === undefined || raw.trim() === '') return new Set(SCENARIO_GROUPS);
  const names = raw.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(SCENARIO_GROUPS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new BenchSetupError(`BENCH_ONLY=${raw}: ${unknown.join(', ') || 'nothing'} is not a scenario group; use a comma-separated list of ${SCENARIO_GROUPS.join(', ')}`);
  }
  return new Set(names as ScenarioGroup[]);
}

export class BenchSetupError extends Error {}

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new BenchSetupError(`${name}=${raw} is not a number >= ${min}`);
  return value;
}

export function readConfig(): BenchConfig {
  return {
    layerMb: Math.round(numberFromEnv('BENCH_LAYER_MB', 20, 1)),
    runSeconds: numberFromEnv('BENCH_RUN_SECONDS', 2, 0),
    samples: Math.round(numberFromEnv('BENCH_SAMPLES', 5, 1)),
    changeSamples: Math.round(numberFromEnv('BENCH_CHANGE_SAMPLES', 3, 1)),
    keep: process.env.BENCH_KEEP === '1',
    scaleImages: Math.round(numberFromEnv('BENCH_SCALE_IMAGES', 60, 0)),
    only: scenarioGroupsFrom(process.env.BENCH_ONLY),
  };
}

const started = process.hrtime.bigint();
export function log(message: string): void {
  const elapsed = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1).padStart(6);
  process.stderr.write(`bench [${elapsed}s] ${message}\n`);
}

/** Things to undo at the end, last first; each step is tried even when another fails. */
export class Cleanup {
  private steps: { what: string; run: () => void }[] = [];

  add(what: string, run: () => void): void {
    this.steps.push({ what, run });
  }

  runAll(): void {
    for (const step of this.steps.reverse()) {
      try {
        step.run();
      } catch (error) {
        log(`cleanup: ${step.what} failed: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
      }
    }
    this.steps = [];
  }
}

export async function requireServices(): Promise<E2eServices> {
  let services: E2eServices;
  try {
    services = readE2eServices();
  } catch {
    throw new BenchSetupError(`the e2e services are not running (no ${process.env.E2E_STATE_DIR ?? '/tmp/kf-e2e'}/services.env): ${SERVICES_HINT}`);
  }
  let status = 0;
  try {
    status = (await fetch(`http://${services.registry}/v2/`, { signal: AbortSignal.timeout(5000) })).status;
  } catch {
    status = 0;
  }
  if (status !== 401 && status !== 200) {
    throw new BenchSetupError(`the registry ${services.registry} does not answer (${status || 'no connection'}): ${SERVICES_HINT}`);
  }
  if (!services.accessLog || !existsSync(services.accessLog)) {
    throw new BenchSetupError(`the registry access log ${services.accessLog || '(E2E_REGISTRY_LOG unset)'} is missing: ${SERVICES_HINT}`);
  }
  const podman = spawnSync('podman', ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' });
  if (podman.status !== 0) throw new BenchSetupError(`podman is not usable: ${SERVICES_HINT}`);
  return services;
}

export function removeMachine(machine: PodmanMachine): void {
  try {
    rmSync(machine.dir, { recursive: true, force: true });
  } catch {
    // Overlay storage that is still mounted: let podman take it apart, then remove what is left.
    spawnSync('podman', ['system', 'reset', '--force'], { env: { ...process.env, ...machine.env }, stdio: 'ignore' });
    rmSync(machine.dir, { recursive: true, force: true });
  }
}

export function removeWorkspace(workspace: TempWorkspace, stopDaemon: boolean): void {
  if (stopDaemon) workspace.nx(['daemon', '--stop'], { NX_DAEMON: 'true', CI: 'false' });
  workspace.remove();
}

/** What every scenario module shares: settings, services, cleanup, measurements and the results so far. */
export class BenchContext {
  readonly results: ScenarioResult[] = [];
  /** Everything the bench pushes lives under this fresh namespace of the shared registry. */
  readonly namespace = `bench-${Date.now().toString(36)}-${process.pid}`;
  readonly registryPrefix: string;
  readonly scratch: string;
  /** Every podman command the Nx tasks ran, timed in their processes: the engine's share of each task. */
  readonly engineLog: EngineLog;
  private readonly accessLog: AccessLogWindow;
  private readonly tmp: string;

  constructor(
    readonly config: BenchConfig,
    readonly services: E2eServices,
    readonly cleanup: Cleanup,
  ) {
    this.registryPrefix = `${services.registry}/${this.namespace}`;
    this.scratch = mkdtempSync(join(tmpdir(), 'kf-bench-'));
    cleanup.add(`remove ${this.scratch}`, () => rmSync(this.scratch, { recursive: true, force: true }));
    // nx-container leaves a docker-build-push-* directory in TMPDIR per build: keep them in ours.
    this.tmp = join(this.scratch, 'tmp');
    mkdirSync(this.tmp);
    this.accessLog = new AccessLogWindow(services.accessLog);
    this.engineLog = new EngineLog(join(this.scratch, 'engine'));
  }

  /** A podman storage of its own (an empty runner), removed at the end. */
  machine(label: string): PodmanMachine {
    const created = createPodmanMachine(this.services);
    created.env.TMPDIR = this.tmp;
    this.cleanup.add(`remove podman storage ${created.dir} (${label})`, () => removeMachine(created));
    return created;
  }

  /** The environment of Nx runs on `machine`: its storage, and podman through the timing shim. */
  nxEnv(machine: PodmanMachine, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...machine.env, ...this.engineLog.env(), ...extra };
  }

  /** Registry blob bytes the bench's namespace served while `run` ran. */
  async measurePulled(run: () => void): Promise<PulledBytes> {
    this.accessLog.mark();
    run();
    return pulledBytes(await this.accessLog.read(), this.namespace);
  }

  /**
   * The tasks of the Nx run whose NX_PROFILE trace is `profile`, split into
   * engine work and overhead, from the engine commands logged since `engineLog.mark()`.
   */
  taskBreakdown(profile: string): TaskBreakdown {
    const commands = this.engineLog.read();
    return taskBreakdown(taskSecondsFromProfile(profile, TARGET), engineSecondsByProject(commands), taskCpuByProject(commands), helperCpuByProject(commands));
  }

  /** The load average says how much other work shared the cores while a scenario ran. */
  record(result: ScenarioResult): void {
    this.results.push({ ...result, loadavg_1m: round(loadavg()[0]) });
  }
}

/** A breakdown as fields of results.json. */
export function breakdownFields(breakdown: TaskBreakdown): Record<string, unknown> {
  const maybe = (value: number | null) => (value === null ? null : round(value));
  return {
    task_s: roundAll(breakdown.task_s),
    engine_s: roundAll(breakdown.engine_s),
    overhead_s: maybe(breakdown.overhead_s),
    overhead_cpu_s: maybe(breakdown.overhead_cpu_s),
  };
}
