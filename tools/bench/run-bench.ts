/**
 * `npm run bench`: builds the fixture image hierarchy for real (podman, the
 * local authenticated registry started by tools/scripts/e2e-services.sh)
 * through the real Nx CLI, scenario by scenario, and measures the original
 * project's sequential scripts on the same fixtures in the same run.
 *
 * Prints a results table and a targets table, writes dist/bench/results.json
 * (and targets.json). It reports; it does not assert: the exit code is 0
 * unless the bench itself could not run.
 *
 * Environment: BENCH_LAYER_MB (default 20) and BENCH_RUN_SECONDS (default 2)
 * set the work each image adds; BENCH_SAMPLES (default 5) how often the
 * sub-second commands (noop, nx --version) are timed after one warm-up run
 * (the median is reported);
 * BENCH_KEEP=1 keeps the temporary workspaces and engine storages.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readE2eServices, type E2eServices } from '../e2e/support/e2e-services';
import { createPodmanMachine, fixtureBuildSettings, pushFixtureUpstream, type PodmanMachine } from '../e2e/support/podman-fixtures';
import { readRecordIn } from '../e2e/support/records';
import { cloneTempWorkspace, createTempWorkspace, WORKSPACE_ROOT, type TempWorkspace } from '../e2e/support/temp-workspace';
import { ciBaseline, localBaseline, podmanRunner, type BaselineResult } from './lib/baseline';
import { benchDockerfile, type WorkPerImage } from './lib/fixtures';
import { criticalPath, readBenchGraph } from './lib/graph';
import { prunedEngineScenario } from './lib/pruned-engine';
import { rebuiltProjects, profilePath, recordSources, taskSecondsFromProfile, timedNx } from './lib/nx-runs';
import { AccessLogWindow, pulledBytes, type PulledBytes } from './lib/registry-log';
import { evaluateTargets, median, resultsTable, round, targetsTable, type ScenarioResult } from './lib/report';

const TARGET = 'build-cpu';
const STREAM = 'cpu';
const SERVICES_HINT = 'run `bash tools/scripts/e2e-services.sh start` (once per machine first `bash tools/scripts/e2e-services.sh install`)';

interface BenchConfig extends WorkPerImage {
  samples: number;
  keep: boolean;
}

class BenchSetupError extends Error {}

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new BenchSetupError(`${name}=${raw} is not a number >= ${min}`);
  return value;
}

function readConfig(): BenchConfig {
  return {
    layerMb: Math.round(numberFromEnv('BENCH_LAYER_MB', 20, 1)),
    runSeconds: numberFromEnv('BENCH_RUN_SECONDS', 2, 0),
    samples: Math.round(numberFromEnv('BENCH_SAMPLES', 5, 1)),
    keep: process.env.BENCH_KEEP === '1',
  };
}

const started = process.hrtime.bigint();
function log(message: string): void {
  const elapsed = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1).padStart(6);
  process.stderr.write(`bench [${elapsed}s] ${message}\n`);
}

/** Things to undo at the end, last first; each step is tried even when another fails. */
class Cleanup {
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

async function requireServices(): Promise<E2eServices> {
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

function removeMachine(machine: PodmanMachine): void {
  try {
    rmSync(machine.dir, { recursive: true, force: true });
  } catch {
    // Overlay storage that is still mounted: let podman take it apart, then remove what is left.
    spawnSync('podman', ['system', 'reset', '--force'], { env: { ...process.env, ...machine.env }, stdio: 'ignore' });
    rmSync(machine.dir, { recursive: true, force: true });
  }
}

function removeWorkspace(workspace: TempWorkspace, stopDaemon: boolean): void {
  if (stopDaemon) workspace.nx(['daemon', '--stop'], { NX_DAEMON: 'true', CI: 'false' });
  workspace.remove();
}

async function main(): Promise<void> {
  const config = readConfig();
  const services = await requireServices();
  const cleanup = new Cleanup();
  const interrupted = () => {
    log('interrupted: cleaning up');
    if (!config.keep) cleanup.runAll();
    process.exit(130);
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    await runBench(config, services, cleanup);
  } finally {
    if (config.keep) log('BENCH_KEEP=1: temporary workspaces and engine storages kept');
    else cleanup.runAll();
  }
}

async function runBench(config: BenchConfig, services: E2eServices, cleanup: Cleanup): Promise<void> {
  // Everything the bench puts in the shared registry lives under one fresh
  // namespace, so no earlier run's images count as "the previous build" and
  // the access log lines of other registry users are not counted.
  const loadAtStart = loadavg()[0];
  const namespace = `bench-${Date.now().toString(36)}-${process.pid}`;
  const registryPrefix = `${services.registry}/${namespace}`;
  const upstreamRepository = `${registryPrefix}/fixtures/datascience-notebook`;
  const upstreamTag = 'fixture-commit';
  const upstream = `${upstreamRepository}:${upstreamTag}`;
  const scratch = mkdtempSync(join(tmpdir(), 'kf-bench-'));
  cleanup.add(`remove ${scratch}`, () => rmSync(scratch, { recursive: true, force: true }));
  // nx-container leaves a docker-build-push-* directory in TMPDIR per build: keep them in ours.
  const tmp = join(scratch, 'tmp');
  mkdirSync(tmp);
  const accessLog = new AccessLogWindow(services.accessLog);
  const machine = (label: string): PodmanMachine => {
    const created = createPodmanMachine(services);
    created.env.TMPDIR = tmp;
    cleanup.add(`remove podman storage ${created.dir} (${label})`, () => removeMachine(created));
    return created;
  };
  log(`work per image: ${config.layerMb} MB layer + ${config.runSeconds} s RUN; registry namespace ${registryPrefix}`);

  // ---------------------------------------------------------------- fixtures
  const upstreamMachine = machine('upstream');
  pushFixtureUpstream(upstreamMachine, upstream);
  removeMachine(upstreamMachine);
  log(`pushed the fixture upstream ${upstream}`);

  const workspace = createTempWorkspace('kf-bench-ws-');
  cleanup.add(`remove ${workspace.root}`, () => removeWorkspace(workspace, true));
  workspace.write('build_settings.env', fixtureBuildSettings(`${upstreamRepository}:${upstreamTag}`));
  const graph = readBenchGraph(workspace, TARGET);
  for (const project of graph.order) {
    workspace.write(`${graph.images[project].root}/Dockerfile`, benchDockerfile(project, config));
  }
  workspace.commit('bench fixtures');
  // The graph questions above left Nx state behind: cold means none.
  rmSync(join(workspace.root, '.nx'), { recursive: true, force: true });
  rmSync(join(workspace.root, 'dist'), { recursive: true, force: true });
  log(`images from the Nx graph, parents first: ${graph.order.join(', ')} (leaves: ${graph.leaves.join(', ')})`);
  const leaf = graph.leaves[0];
  const minimal = 'minimal';
  if (!graph.images[minimal]) throw new BenchSetupError(`the Nx graph has no project "${minimal}" with ${TARGET}: minimal-change has nothing to change`);

  const nxMachine = machine('nx');
  const baselineMachine = machine('baseline');
  const baseline = podmanRunner(baselineMachine.env);
  // A user's terminal: the Nx daemon on, not CI.
  const localEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...nxMachine.env, NX_DAEMON: 'true', CI: 'false', ...extra });
  const nxArgs = (...args: string[]) => [...args, '--output-style=static'];
  const results: ScenarioResult[] = [];
  // The load average says how much other work shared the 2 cores while a scenario ran.
  const record = (result: ScenarioResult) => results.push({ ...result, loadavg_1m: round(loadavg()[0]) });

  const measurePulled = async (run: () => void): Promise<PulledBytes> => {
    accessLog.mark();
    run();
    return pulledBytes(await accessLog.read(), namespace);
  };

  // ---------------------------------------------------------------- cold
  log('cold: nx run-many, empty engine storage, empty Nx cache');
  const coldProfile = profilePath(workspace, 'cold');
  let cold!: ReturnType<typeof timedNx>;
  const coldPulled = await measurePulled(() => {
    cold = timedNx(workspace, nxArgs('run-many', '-t', TARGET), localEnv({ NX_PROFILE: coldProfile.env }), 'cold');
  });
  const coldTasks = taskSecondsFromProfile(coldProfile.absolute, TARGET);
  const perImage = Object.fromEntries(Object.entries(coldTasks).map(([project, task]) => [project, task.seconds]));
  const critical = criticalPath(graph, perImage);
  log(`cold: nx ${cold.seconds.toFixed(1)} s; critical path ${critical.chain.join(' > ')} = ${critical.seconds.toFixed(1)} s`);
  log('cold: baseline, one podman build per image in its own empty storage');
  let coldBaseline!: BaselineResult;
  const coldBaselinePulled = await measurePulled(() => {
    coldBaseline = localBaseline(baseline, graph, workspace.root, upstream);
  });
  record({
    scenario: 'cold',
    rebuilt: rebuiltProjects(workspace, cold.output, TARGET),
    wall_s: round(cold.seconds),
    pulled_bytes: coldPulled.bytes,
    baseline_wall_s: round(coldBaseline.wall_s),
    baseline_pulled_bytes: coldBaselinePulled.bytes,
    baseline_rebuilt: coldBaseline.rebuilt,
    task_s: Object.fromEntries(Object.entries(perImage).map(([project, seconds]) => [project, round(seconds)])),
    critical_path: critical.chain,
    critical_path_s: round(critical.seconds),
  });

  // ---------------------------------------------------------------- noop
  log(`noop: nx --version and nx run-many with the daemon on, ${config.samples} samples each after one warm-up`);
  timedNx(workspace, nxArgs('run-many', '-t', TARGET), localEnv(), 'noop warm-up');
  const versionSamples: number[] = [];
  for (let i = 0; i < config.samples; i++) versionSamples.push(timedNx(workspace, ['--version'], localEnv(), 'nx --version').seconds);
  const noopSamples: number[] = [];
  const noopRebuilt = new Set<string>();
  const noopPulled = await measurePulled(() => {
    for (let i = 0; i < config.samples; i++) {
      const run = timedNx(workspace, nxArgs('run-many', '-t', TARGET), localEnv(), 'noop');
      noopSamples.push(run.seconds);
      for (const project of rebuiltProjects(workspace, run.output, TARGET)) noopRebuilt.add(project);
    }
  });
  const noopBaselineSamples: number[] = [];
  const noopBaselineRebuilt = new Set<string>();
  const noopBaselinePulled = await measurePulled(() => {
    for (let i = 0; i < config.samples; i++) {
      const run = localBaseline(baseline, graph, workspace.root, upstream);
      noopBaselineSamples.push(run.wall_s);
      for (const project of run.rebuilt) noopBaselineRebuilt.add(project);
    }
  });
  const nxVersionSeconds = median(versionSamples);
  record({
    scenario: 'noop',
    rebuilt: [...noopRebuilt].sort(),
    wall_s: round(median(noopSamples)),
    pulled_bytes: noopPulled.bytes,
    baseline_wall_s: round(median(noopBaselineSamples)),
    baseline_pulled_bytes: noopBaselinePulled.bytes,
    baseline_rebuilt: [...noopBaselineRebuilt].sort(),
    wall_s_samples: noopSamples.map((s) => round(s, 3)),
    baseline_wall_s_samples: noopBaselineSamples.map((s) => round(s, 3)),
    nx_version_s: round(nxVersionSeconds, 3),
    nx_version_s_samples: versionSamples.map((s) => round(s, 3)),
  });
  log(`noop: nx ${median(noopSamples).toFixed(2)} s, nx --version ${nxVersionSeconds.toFixed(2)} s, baseline ${median(noopBaselineSamples).toFixed(2)} s`);

  // ---------------------------------------------------------------- one Dockerfile changed, committed
  const changeScenario = async (scenario: 'leaf-change' | 'minimal-change', project: string): Promise<void> => {
    workspace.write(`${graph.images[project].root}/Dockerfile`, benchDockerfile(project, config, 2));
    workspace.commit(`bench: change ${project}`);
    log(`${scenario}: ${project}'s Dockerfile changed and committed; nx affected -t ${TARGET} --base=HEAD~1`);
    const profile = profilePath(workspace, scenario);
    let run!: ReturnType<typeof timedNx>;
    const pulled = await measurePulled(() => {
      run = timedNx(workspace, nxArgs('affected', '-t', TARGET, '--base=HEAD~1', '--head=HEAD'), localEnv({ NX_PROFILE: profile.env }), scenario);
    });
    let base!: BaselineResult;
    const basePulled = await measurePulled(() => {
      base = localBaseline(baseline, graph, workspace.root, upstream);
    });
    const tasks = taskSecondsFromProfile(profile.absolute, TARGET);
    record({
      scenario,
      rebuilt: rebuiltProjects(workspace, run.output, TARGET),
      wall_s: round(run.seconds),
      pulled_bytes: pulled.bytes,
      baseline_wall_s: round(base.wall_s),
      baseline_pulled_bytes: basePulled.bytes,
      changed: project,
      baseline_rebuilt: base.rebuilt,
      task_s: Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, round(task.seconds)])),
    });
    log(`${scenario}: nx ${run.seconds.toFixed(1)} s, baseline ${base.wall_s.toFixed(1)} s`);
  };
  await changeScenario('leaf-change', leaf);
  await changeScenario('minimal-change', minimal);

  // ---------------------------------------------------------------- the previous CI build, pushed
  const ciEnv = (target: PodmanMachine, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...target.env,
    IMAGE_REGISTRY: registryPrefix,
    IMAGE_PUSH: 'true',
    ...extra,
  });
  log(`setup for fresh-runner: the previous build pushed to ${registryPrefix} (nx) and ${registryPrefix}/baseline (scripts)`);
  const push = timedNx(workspace, nxArgs('run-many', '-t', TARGET), ciEnv(nxMachine), 'pushing the previous build');
  const unpushed = graph.order.filter((project) => !readRecordIn(workspace.root, project, STREAM)?.digest);
  if (unpushed.length > 0) throw new Error(`pushing the previous build: no digest in the records of ${unpushed.join(', ')}`);
  const baselinePush = ciBaseline(baseline, graph, workspace.root, upstream, `${registryPrefix}/baseline`);
  log(`setup: nx push ${push.seconds.toFixed(1)} s, baseline push ${baselinePush.wall_s.toFixed(1)} s`);

  // ---------------------------------------------------------------- fresh-runner
  const clone = cloneTempWorkspace(workspace, 'kf-bench-clone-');
  cleanup.add(`remove ${clone.root}`, () => removeWorkspace(clone, false));
  // A new commit that touches no image, as CI runs on every push.
  clone.write('README.md', 'a docs change on the branch\n');
  clone.commit('bench: docs change');
  const freshMachine = machine('fresh nx runner');
  log('fresh-runner: fresh clone, empty Nx cache, empty engine storage, CI (daemon off), registry holds the previous build');
  const freshProfile = profilePath(clone, 'fresh-runner');
  let fresh!: ReturnType<typeof timedNx>;
  const freshPulled = await measurePulled(() => {
    fresh = timedNx(clone, nxArgs('run-many', '-t', TARGET), ciEnv(freshMachine, { NX_PROFILE: freshProfile.env }), 'fresh-runner');
  });
  const freshImages = freshMachine.podman(['images', '--quiet']).split('\n').filter(Boolean).length;
  const freshBaselineMachine = machine('fresh baseline runner');
  log('fresh-runner: baseline CI way (pull previous as cache, build --cache-from, push) on its own empty storage');
  let freshBaseline!: BaselineResult;
  const freshBaselinePulled = await measurePulled(() => {
    freshBaseline = ciBaseline(podmanRunner(freshBaselineMachine.env), graph, clone.root, upstream, `${registryPrefix}/baseline`);
  });
  const baselineRepositories = graph.order.map((project) => `${namespace}/baseline/${graph.images[project].imageName}-${STREAM}`);
  const baselineRepositoriesPulled = baselineRepositories.filter((repository) => (freshBaselinePulled.byRepository[repository] ?? 0) > 0);
  record({
    scenario: 'fresh-runner',
    rebuilt: rebuiltProjects(clone, fresh.output, TARGET),
    wall_s: round(fresh.seconds),
    pulled_bytes: freshPulled.bytes,
    baseline_wall_s: round(freshBaseline.wall_s),
    baseline_pulled_bytes: freshBaselinePulled.bytes,
    sources: recordSources(clone, graph.order, STREAM),
    images_in_engine_storage: freshImages,
    baseline_rebuilt: freshBaseline.rebuilt,
    baseline_pulled_by_repository: freshBaselinePulled.byRepository,
    task_s: Object.fromEntries(Object.entries(taskSecondsFromProfile(freshProfile.absolute, TARGET)).map(([name, task]) => [name, round(task.seconds)])),
  });
  log(`fresh-runner: nx ${fresh.seconds.toFixed(1)} s, baseline ${freshBaseline.wall_s.toFixed(1)} s`);

  // ---------------------------------------------------------------- pruned-engine
  record(
    await prunedEngineScenario({
      workspace, graph, target: TARGET, stream: STREAM, leaf, work: config, warmEngine: nxMachine,
      emptyEngine: () => machine('pruned engine'),
      registryEnv: (engine) => localEnv({ ...engine.env, IMAGE_REGISTRY: registryPrefix }),
      namespace, measurePulled, log,
    }),
  );

  // ---------------------------------------------------------------- report
  const targets = evaluateTargets(results, {
    nxVersionSeconds,
    criticalPathSeconds: critical.seconds,
    criticalPath: critical.chain,
    baselineRepositoriesPulled: baselineRepositoriesPulled.length,
    baselineRepositories: baselineRepositories.length,
  });
  const machineLoad = { cores: cpus().length, loadavg_1m_start: round(loadAtStart), loadavg_1m_end: round(loadavg()[0]) };
  const out = join(WORKSPACE_ROOT, 'dist', 'bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    join(out, 'targets.json'),
    `${JSON.stringify({ config: { layer_mb: config.layerMb, run_s: config.runSeconds, samples: config.samples }, machine: machineLoad, images: graph.order, targets }, null, 2)}\n`,
  );
  const report = [
    `Benchmark: ${graph.order.length} images from the Nx graph (${graph.order.join(' > ')}), ${config.layerMb} MB + ${config.runSeconds} s RUN each, podman, registry ${services.registry}`,
    '',
    resultsTable(results),
    '',
    targetsTable(targets),
    '',
    `wall_s: the Nx command from spawn to exit; baseline_wall_s: the podman commands of the scripts' way; noop: median of ${config.samples}.`,
    `Machine: ${machineLoad.cores} cores, 1-minute load average ${machineLoad.loadavg_1m_start} at start, ${machineLoad.loadavg_1m_end} at end${
      Math.max(machineLoad.loadavg_1m_start, machineLoad.loadavg_1m_end) > machineLoad.cores ? ' (busier than its cores: other work inflated these wall times)' : ''
    }.`,
    `Written: ${join(out, 'results.json')}, ${join(out, 'targets.json')}`,
  ].join('\n');
  writeFileSync(join(out, 'results.txt'), `${report}\n`);
  process.stdout.write(`${report}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench: error: ${message}\n`);
    if (process.env.BENCH_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  },
);
