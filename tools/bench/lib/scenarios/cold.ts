import { localBaseline, type BaselineResult } from '../baseline';
import { breakdownFields, log, TARGET, type BenchContext } from '../context';
import { criticalPath } from '../graph';
import { profilePath, rebuiltProjects, timedNx, type NxRun } from '../nx-runs';
import { round } from '../report';
import { nxArgs, type BenchHierarchy } from './bench-hierarchy';

export interface ColdCriticalPath {
  chain: string[];
  /** Engine seconds along the chain: the same measure as the baseline's. */
  seconds: number;
}

/** cold: nx run-many on an empty engine storage and an empty Nx cache, against one podman build per image. */
export async function coldScenario(ctx: BenchContext, h: BenchHierarchy): Promise<ColdCriticalPath> {
  log('cold: nx run-many, empty engine storage, empty Nx cache');
  const profile = profilePath(h.workspace, 'cold');
  let run!: NxRun;
  ctx.engineLog.mark();
  const pulled = await ctx.measurePulled(() => {
    run = timedNx(h.workspace, nxArgs('run-many', '-t', TARGET), h.localEnv({ NX_PROFILE: profile.env }), 'cold');
  });
  const breakdown = ctx.taskBreakdown(profile.absolute);
  const engine = breakdown.engine_s;
  const enginePath = criticalPath(h.graph, Object.fromEntries(h.graph.order.map((project) => [project, engine[project] ?? 0])));
  const taskPath = criticalPath(h.graph, breakdown.task_s);
  log(`cold: nx ${run.seconds.toFixed(1)} s; critical path ${enginePath.chain.join(' > ')} = ${enginePath.seconds.toFixed(1)} s of engine work (${taskPath.seconds.toFixed(1)} s of Nx task time)`);
  log('cold: baseline, one podman build per image in its own empty storage');
  let base!: BaselineResult;
  const basePulled = await ctx.measurePulled(() => {
    base = localBaseline(h.baseline, h.graph, h.workspace.root, h.upstream);
  });
  ctx.record({
    scenario: 'cold',
    rebuilt: rebuiltProjects(h.workspace, run.output, TARGET),
    wall_s: round(run.seconds),
    pulled_bytes: pulled.bytes,
    baseline_wall_s: round(base.wall_s),
    baseline_pulled_bytes: basePulled.bytes,
    baseline_rebuilt: base.rebuilt,
    ...breakdownFields(breakdown),
    critical_path: enginePath.chain,
    critical_path_s: round(enginePath.seconds),
    critical_path_task_s: round(taskPath.seconds),
  });
  return enginePath;
}
