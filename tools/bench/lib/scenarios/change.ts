import { localBaseline, type BaselineResult } from '../baseline';
import { breakdownFields, log, TARGET, type BenchContext } from '../context';
import { benchDockerfile } from '../fixtures';
import { pooledOverheads, profilePath, rebuiltProjects, timedNx, type NxRun, type TaskBreakdown } from '../nx-runs';
import { median, round } from '../report';
import { nxArgs, type BenchHierarchy } from './bench-hierarchy';

interface ChangeSample {
  run: NxRun;
  breakdown: TaskBreakdown;
  rebuilt: string[];
  pulledBytes: number;
  baseline: BaselineResult;
  baselinePulledBytes: number;
}

/**
 * One Dockerfile changed and committed, `ctx.config.changeSamples` times over:
 * nx affected against the scripts, which rebuild everything. One change is a
 * few seconds on a noisy machine, so the sample with the median Nx time is
 * reported (and the median of the scripts'), with the overheads' medians over
 * the tasks of all samples; `rebuilt` lists every image any sample rebuilt,
 * so one stray rebuild shows.
 */
export async function changeScenario(ctx: BenchContext, h: BenchHierarchy, scenario: 'leaf-change' | 'minimal-change', project: string): Promise<void> {
  const samples: ChangeSample[] = [];
  for (let sample = 1; sample <= ctx.config.changeSamples; sample++) {
    h.workspace.write(`${h.graph.images[project].root}/Dockerfile`, benchDockerfile(project, ctx.config, sample + 1));
    h.workspace.commit(`bench: change ${project} (${sample})`);
    log(`${scenario} ${sample}/${ctx.config.changeSamples}: ${project}'s Dockerfile changed and committed; nx affected -t ${TARGET} --base=HEAD~1`);
    samples.push(await measureChange(ctx, h, `${scenario}-${sample}`));
  }
  const bySeconds = [...samples].sort((a, b) => a.run.seconds - b.run.seconds);
  const reported = bySeconds[Math.floor((bySeconds.length - 1) / 2)];
  const baselineSeconds = samples.map((s) => s.baseline.wall_s);
  ctx.record({
    scenario,
    rebuilt: [...new Set(samples.flatMap((s) => s.rebuilt))].sort(),
    wall_s: round(reported.run.seconds),
    pulled_bytes: Math.max(...samples.map((s) => s.pulledBytes)),
    baseline_wall_s: round(median(baselineSeconds)),
    baseline_pulled_bytes: Math.max(...samples.map((s) => s.baselinePulledBytes)),
    changed: project,
    baseline_rebuilt: reported.baseline.rebuilt,
    wall_s_samples: samples.map((s) => round(s.run.seconds)),
    baseline_wall_s_samples: baselineSeconds.map((s) => round(s)),
    ...breakdownFields({ ...reported.breakdown, ...pooledOverheads(samples.map((s) => s.breakdown)) }),
  });
  log(`${scenario}: nx ${reported.run.seconds.toFixed(1)} s, baseline ${median(baselineSeconds).toFixed(1)} s (medians of ${samples.length})`);
}

async function measureChange(ctx: BenchContext, h: BenchHierarchy, name: string): Promise<ChangeSample> {
  const profile = profilePath(h.workspace, name);
  let run!: NxRun;
  ctx.engineLog.mark();
  const pulled = await ctx.measurePulled(() => {
    run = timedNx(h.workspace, nxArgs('affected', '-t', TARGET, '--base=HEAD~1', '--head=HEAD'), h.localEnv({ NX_PROFILE: profile.env }), name);
  });
  const breakdown = ctx.taskBreakdown(profile.absolute);
  const rebuilt = rebuiltProjects(h.workspace, run.output, TARGET);
  let baseline!: BaselineResult;
  const baselinePulled = await ctx.measurePulled(() => {
    baseline = localBaseline(h.baseline, h.graph, h.workspace.root, h.upstream);
  });
  return { run, breakdown, rebuilt, pulledBytes: pulled.bytes, baseline, baselinePulledBytes: baselinePulled.bytes };
}
