import type { PodmanMachine } from '../../../e2e/support/podman-fixtures';
import { readRecordIn } from '../../../e2e/support/records';
import { cloneTempWorkspace } from '../../../e2e/support/temp-workspace';
import { ciBaseline, podmanRunner, type BaselineResult } from '../baseline';
import { breakdownFields, log, removeWorkspace, STREAM, TARGET, type BenchContext } from '../context';
import { profilePath, rebuiltProjects, recordSources, timedNx, type NxRun } from '../nx-runs';
import { round } from '../report';
import { nxArgs, type BenchHierarchy } from './bench-hierarchy';

export interface FreshRunnerPulls {
  /** Baseline images whose layers the fresh baseline runner fetched, of how many. */
  baselineRepositoriesPulled: number;
  baselineRepositories: number;
}

/**
 * The previous CI build pushed (Nx and the scripts each to their repositories),
 * then a fresh clone on an empty runner in CI mode: Nx should reuse every image
 * registry-side, the scripts pull each one as a cache.
 */
export async function freshRunnerScenario(ctx: BenchContext, h: BenchHierarchy): Promise<FreshRunnerPulls> {
  const ciEnv = (machine: PodmanMachine, extra: NodeJS.ProcessEnv = {}) =>
    ctx.nxEnv(machine, { IMAGE_REGISTRY: ctx.registryPrefix, IMAGE_PUSH: 'true', ...extra });
  log(`setup for fresh-runner: the previous build pushed to ${ctx.registryPrefix} (nx) and ${ctx.registryPrefix}/baseline (scripts)`);
  const push = timedNx(h.workspace, nxArgs('run-many', '-t', TARGET), ciEnv(h.nxMachine), 'pushing the previous build');
  const unpushed = h.graph.order.filter((project) => !readRecordIn(h.workspace.root, project, STREAM)?.digest);
  if (unpushed.length > 0) throw new Error(`pushing the previous build: no digest in the records of ${unpushed.join(', ')}`);
  const baselinePush = ciBaseline(h.baseline, h.graph, h.workspace.root, h.upstream, `${ctx.registryPrefix}/baseline`);
  log(`setup: nx push ${push.seconds.toFixed(1)} s, baseline push ${baselinePush.wall_s.toFixed(1)} s`);

  const clone = cloneTempWorkspace(h.workspace, 'kf-bench-clone-');
  ctx.cleanup.add(`remove ${clone.root}`, () => removeWorkspace(clone, false));
  // A new commit that touches no image, as CI runs on every push.
  clone.write('README.md', 'a docs change on the branch\n');
  clone.commit('bench: docs change');
  const freshMachine = ctx.machine('fresh nx runner');
  log('fresh-runner: fresh clone, empty Nx cache, empty engine storage, CI (daemon off), registry holds the previous build');
  const profile = profilePath(clone, 'fresh-runner');
  let fresh!: NxRun;
  ctx.engineLog.mark();
  const pulled = await ctx.measurePulled(() => {
    fresh = timedNx(clone, nxArgs('run-many', '-t', TARGET), ciEnv(freshMachine, { NX_PROFILE: profile.env }), 'fresh-runner');
  });
  const breakdown = ctx.taskBreakdown(profile.absolute);
  const imagesInStorage = freshMachine.podman(['images', '--quiet']).split('\n').filter(Boolean).length;
  const freshBaselineMachine = ctx.machine('fresh baseline runner');
  log('fresh-runner: baseline CI way (pull previous as cache, build --cache-from, push) on its own empty storage');
  let base!: BaselineResult;
  const basePulled = await ctx.measurePulled(() => {
    base = ciBaseline(podmanRunner(freshBaselineMachine.env), h.graph, clone.root, h.upstream, `${ctx.registryPrefix}/baseline`);
  });
  const baselineRepositories = h.graph.order.map((project) => `${ctx.namespace}/baseline/${h.graph.images[project].imageName}-${STREAM}`);
  const baselineRepositoriesPulled = baselineRepositories.filter((repository) => (basePulled.byRepository[repository] ?? 0) > 0);
  ctx.record({
    scenario: 'fresh-runner',
    rebuilt: rebuiltProjects(clone, fresh.output, TARGET),
    wall_s: round(fresh.seconds),
    pulled_bytes: pulled.bytes,
    baseline_wall_s: round(base.wall_s),
    baseline_pulled_bytes: basePulled.bytes,
    sources: recordSources(clone, h.graph.order, STREAM),
    images_in_engine_storage: imagesInStorage,
    baseline_rebuilt: base.rebuilt,
    baseline_pulled_by_repository: basePulled.byRepository,
    ...breakdownFields(breakdown),
  });
  log(`fresh-runner: nx ${fresh.seconds.toFixed(1)} s, baseline ${base.wall_s.toFixed(1)} s`);
  return { baselineRepositoriesPulled: baselineRepositoriesPulled.length, baselineRepositories: baselineRepositories.length };
}
