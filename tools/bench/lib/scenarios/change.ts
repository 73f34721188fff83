import { localBaseline, type BaselineResult } from '../baseline';
import { breakdownFields, log, TARGET, type BenchContext } from '../context';
import { benchDockerfile } from '../fixtures';
import { profilePath, rebuiltProjects, timedNx, type NxRun } from '../nx-runs';
import { round } from '../report';
import { nxArgs, type BenchHierarchy } from './bench-hierarchy';

/** One Dockerfile changed and committed: nx affected against the scripts, which rebuild everything. */
export async function changeScenario(ctx: BenchContext, h: BenchHierarchy, scenario: 'leaf-change' | 'minimal-change', project: string): Promise<void> {
  h.workspace.write(`${h.graph.images[project].root}/Dockerfile`, benchDockerfile(project, ctx.config, 2));
  h.workspace.commit(`bench: change ${project}`);
  log(`${scenario}: ${project}'s Dockerfile changed and committed; nx affected -t ${TARGET} --base=HEAD~1`);
  const profile = profilePath(h.workspace, scenario);
  let run!: NxRun;
  ctx.engineLog.mark();
  const pulled = await ctx.measurePulled(() => {
    run = timedNx(h.workspace, nxArgs('affected', '-t', TARGET, '--base=HEAD~1', '--head=HEAD'), h.localEnv({ NX_PROFILE: profile.env }), scenario);
  });
  const breakdown = ctx.taskBreakdown(profile.absolute);
  let base!: BaselineResult;
  const basePulled = await ctx.measurePulled(() => {
    base = localBaseline(h.baseline, h.graph, h.workspace.root, h.upstream);
  });
  ctx.record({
    scenario,
    rebuilt: rebuiltProjects(h.workspace, run.output, TARGET),
    wall_s: round(run.seconds),
    pulled_bytes: pulled.bytes,
    baseline_wall_s: round(base.wall_s),
    baseline_pulled_bytes: basePulled.bytes,
    changed: project,
    baseline_rebuilt: base.rebuilt,
    ...breakdownFields(breakdown),
  });
  log(`${scenario}: nx ${run.seconds.toFixed(1)} s, baseline ${base.wall_s.toFixed(1)} s`);
}
