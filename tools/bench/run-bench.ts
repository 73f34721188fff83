/**
 * `npm run bench`: builds the fixture image hierarchy for real (podman, the
 * local authenticated registry started by tools/scripts/e2e-services.sh)
 * through the real Nx CLI, scenario by scenario, and measures the original
 * project's sequential scripts on the same fixtures in the same run; then the
 * scale scenarios on a generated hierarchy. Each scenario is a module under
 * lib/scenarios/ called once below.
 *
 * Prints a results table and a targets table, writes dist/bench/results.json
 * (and targets.json). It reports; it does not assert: the exit code is 0
 * unless the bench itself could not run.
 *
 * Environment: BENCH_LAYER_MB (default 20) and BENCH_RUN_SECONDS (default 2)
 * set the work each image adds; BENCH_SAMPLES (default 5) how often the
 * sub-second commands (noop, nx --version) are timed after one warm-up run
 * (the median is reported); BENCH_SCALE_IMAGES (default 60, 0 skips) the size
 * of the generated hierarchy; BENCH_KEEP=1 keeps the temporary workspaces and
 * engine storages; BENCH_ONLY (a comma-separated list of hierarchy,
 * fresh-runner-change, scale, inspect) runs only those groups of scenarios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '../e2e/support/temp-workspace';
import { BenchContext, BenchSetupError, Cleanup, log, readConfig, requireServices, STREAM, TARGET } from './lib/context';
import { prunedEngineScenario } from './lib/pruned-engine';
import { evaluateTargets, resultsTable, round, scaleTable, targetsTable, type HierarchyTargetInputs } from './lib/report';
import { inspectBench } from './lib/inspect-bench';
import { createBenchHierarchy, type BenchHierarchy } from './lib/scenarios/bench-hierarchy';
import { changeScenario } from './lib/scenarios/change';
import { coldScenario } from './lib/scenarios/cold';
import { freshRunnerScenario } from './lib/scenarios/fresh-runner';
import { freshRunnerChangeScenario } from './lib/scenarios/fresh-runner-change';
import { noopScenario } from './lib/scenarios/noop';
import { scaleScenarios } from './lib/scenarios/scale';

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
    await runBench(new BenchContext(config, services, cleanup));
  } finally {
    if (config.keep) log('BENCH_KEEP=1: temporary workspaces and engine storages kept');
    else cleanup.runAll();
  }
}

async function runBench(ctx: BenchContext): Promise<void> {
  const loadAtStart = loadavg()[0];
  log(`work per image: ${ctx.config.layerMb} MB layer + ${ctx.config.runSeconds} s RUN; registry namespace ${ctx.registryPrefix}`);
  const hierarchy = createBenchHierarchy(ctx);
  const only = ctx.config.only;
  const hierarchyInputs = only.has('hierarchy') ? await hierarchyScenarios(ctx, hierarchy) : null;
  if (only.has('fresh-runner-change')) await freshRunnerChangeScenario(ctx, hierarchy);
  const scale = only.has('scale') ? scaleScenarios(ctx, hierarchy.upstream, hierarchy.upstreamLock) : [];

  const targets = evaluateTargets(ctx.results, { hierarchy: hierarchyInputs, scale });
  const machineLoad = { cores: cpus().length, loadavg_1m_start: round(loadAtStart), loadavg_1m_end: round(loadavg()[0]) };
  const out = join(WORKSPACE_ROOT, 'dist', 'bench');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify([...ctx.results, ...scale], null, 2)}\n`);
  const config = { layer_mb: ctx.config.layerMb, run_s: ctx.config.runSeconds, samples: ctx.config.samples, scale_images: ctx.config.scaleImages };
  writeFileSync(join(out, 'targets.json'), `${JSON.stringify({ config, machine: machineLoad, images: hierarchy.graph.order, targets }, null, 2)}\n`);
  const images = hierarchy.graph.order;
  const report = [
    `Benchmark: ${images.length} images from the Nx graph (${images.join(' > ')}), ${ctx.config.layerMb} MB + ${ctx.config.runSeconds} s RUN each, podman, registry ${ctx.services.registry}`,
    '',
    resultsTable(ctx.results),
    ...(scale.length ? ['', scaleTable(scale)] : []),
    '',
    targetsTable(targets),
    '',
    `wall_s: the Nx command from spawn to exit; baseline_wall_s: the podman commands of the scripts' way (fresh-runner-change: the original CI's docker commands on dockerd's classic builder); noop: median of ${ctx.config.samples}.`,
    'overhead_s: median over the tasks Nx ran of task wall time minus its podman build/push/pull time; critical path: engine time along the longest chain.',
    `Machine: ${machineLoad.cores} cores, 1-minute load average ${machineLoad.loadavg_1m_start} at start, ${machineLoad.loadavg_1m_end} at end${
      Math.max(machineLoad.loadavg_1m_start, machineLoad.loadavg_1m_end) > machineLoad.cores ? ' (busier than its cores: other work inflated these wall times)' : ''
    }.`,
    `Written: ${join(out, 'results.json')}, ${join(out, 'targets.json')}`,
  ].join('\n');
  writeFileSync(join(out, 'results.txt'), `${report}\n`);
  process.stdout.write(`${report}\n`);
  if (only.has('inspect')) process.stdout.write(`\n${inspectBench(ctx.machine('inspect'), out, log)}\n`);
}

/** cold, noop, the change scenarios, fresh-runner and pruned-engine: each starts from the state the one before left. */
async function hierarchyScenarios(ctx: BenchContext, hierarchy: BenchHierarchy): Promise<HierarchyTargetInputs> {
  const minimal = 'minimal';
  if (!hierarchy.graph.images[minimal]) throw new BenchSetupError(`the Nx graph has no project "${minimal}" with ${TARGET}: minimal-change has nothing to change`);
  const critical = await coldScenario(ctx, hierarchy);
  const noop = await noopScenario(ctx, hierarchy);
  await changeScenario(ctx, hierarchy, 'leaf-change', hierarchy.graph.leaves[0]);
  await changeScenario(ctx, hierarchy, 'minimal-change', minimal);
  const fresh = await freshRunnerScenario(ctx, hierarchy);
  ctx.record(
    await prunedEngineScenario({
      workspace: hierarchy.workspace,
      graph: hierarchy.graph,
      target: TARGET,
      stream: STREAM,
      leaf: hierarchy.graph.leaves[0],
      work: ctx.config,
      // leaf-change used revisions 2 .. changeSamples + 1.
      revision: ctx.config.changeSamples + 2,
      warmEngine: hierarchy.nxMachine,
      emptyEngine: () => ctx.machine('pruned engine'),
      registryEnv: (engine) => ctx.nxEnv(engine, { NX_DAEMON: 'true', CI: 'false', IMAGE_REGISTRY: ctx.registryPrefix }),
      namespace: ctx.namespace,
      measurePulled: (run) => ctx.measurePulled(run),
      log,
    }),
  );
  return { nxVersionSeconds: noop.nxVersionSeconds, noopCiSeconds: noop.ciSeconds, criticalPathSeconds: critical.seconds, criticalPath: critical.chain, ...fresh };
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
