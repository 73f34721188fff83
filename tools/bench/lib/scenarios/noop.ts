import { localBaseline } from '../baseline';
import { log, TARGET, type BenchContext } from '../context';
import { rebuiltProjects, timedNx } from '../nx-runs';
import { median, round } from '../report';
import { nxArgs, type BenchHierarchy } from './bench-hierarchy';

export interface NoopTimes {
  nxVersionSeconds: number;
  /** Median noop with the daemon off and CI=true, as a CI runner runs it. */
  ciSeconds: number;
}

/** noop: everything cached, with the daemon (a user's terminal) and without (CI), against nx --version and the scripts. */
export async function noopScenario(ctx: BenchContext, h: BenchHierarchy): Promise<NoopTimes> {
  const samples = ctx.config.samples;
  log(`noop: nx --version and nx run-many, daemon on and off, ${samples} samples each after one warm-up`);
  const ciEnv = h.localEnv({ NX_DAEMON: 'false', CI: 'true' });
  timedNx(h.workspace, nxArgs('run-many', '-t', TARGET), h.localEnv(), 'noop warm-up');
  timedNx(h.workspace, nxArgs('run-many', '-t', TARGET), ciEnv, 'noop warm-up (CI)');
  const times = (what: string, args: string[], env: NodeJS.ProcessEnv) => {
    const seconds: number[] = [];
    const rebuilt = new Set<string>();
    for (let i = 0; i < samples; i++) {
      const run = timedNx(h.workspace, args, env, what);
      seconds.push(run.seconds);
      if (args[0] === 'run-many') for (const project of rebuiltProjects(h.workspace, run.output, TARGET)) rebuilt.add(project);
    }
    return { seconds, rebuilt };
  };
  const version = times('nx --version', ['--version'], h.localEnv());
  let daemon!: ReturnType<typeof times>;
  const pulled = await ctx.measurePulled(() => {
    daemon = times('noop', nxArgs('run-many', '-t', TARGET), h.localEnv());
  });
  const ci = times('noop (CI)', nxArgs('run-many', '-t', TARGET), ciEnv);
  const baselineSeconds: number[] = [];
  const baselineRebuilt = new Set<string>();
  const baselinePulled = await ctx.measurePulled(() => {
    for (let i = 0; i < samples; i++) {
      const run = localBaseline(h.baseline, h.graph, h.workspace.root, h.upstream);
      baselineSeconds.push(run.wall_s);
      for (const project of run.rebuilt) baselineRebuilt.add(project);
    }
  });
  const result = { nxVersionSeconds: median(version.seconds), ciSeconds: median(ci.seconds) };
  const samplesOf = (values: number[]) => values.map((s) => round(s, 3));
  ctx.record({
    scenario: 'noop',
    rebuilt: [...new Set([...daemon.rebuilt, ...ci.rebuilt])].sort(),
    wall_s: round(median(daemon.seconds)),
    pulled_bytes: pulled.bytes,
    baseline_wall_s: round(median(baselineSeconds)),
    baseline_pulled_bytes: baselinePulled.bytes,
    baseline_rebuilt: [...baselineRebuilt].sort(),
    wall_s_samples: samplesOf(daemon.seconds),
    ci_wall_s: round(result.ciSeconds),
    ci_wall_s_samples: samplesOf(ci.seconds),
    baseline_wall_s_samples: samplesOf(baselineSeconds),
    nx_version_s: round(result.nxVersionSeconds, 3),
    nx_version_s_samples: samplesOf(version.seconds),
  });
  log(`noop: nx ${median(daemon.seconds).toFixed(2)} s (daemon), ${result.ciSeconds.toFixed(2)} s (CI), nx --version ${result.nxVersionSeconds.toFixed(2)} s, baseline ${median(baselineSeconds).toFixed(2)} s`);
  return result;
}
