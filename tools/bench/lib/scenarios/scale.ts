import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureBuildSettings, fixtureDockerfile, type PodmanMachine } from '../../../e2e/support/podman-fixtures';
import { createTempWorkspace } from '../../../e2e/support/temp-workspace';
import { log, removeWorkspace, TARGET, type BenchContext } from '../context';
import { readBenchGraph } from '../graph';
import { rebuiltProjects, timedNx } from '../nx-runs';
import { median, round, type ScaleResult } from '../report';
import { syntheticImages } from '../synthetic-hierarchy';
import { nxArgs } from './bench-hierarchy';

interface HierarchyTimes {
  images: number;
  plan_s: number;
  /** The same plan with one process per task (`--batch=false`): what batch mode saves. */
  plan_unbatched_s: number;
  cold_s: number;
  noop_s: number;
  leaf_change_s: number;
  leaf: string;
  rebuilt: string[];
}

/**
 * One hierarchy of `images` tiny images (the workspace's own, plus images made
 * with the real generator, `nx g @kubeflow-images/nx-plugin:image`): plan of
 * everything (batched, as by default, and with --batch=false), a cold build,
 * noop, and one leaf changed. Daemon on throughout.
 */
function timeHierarchy(ctx: BenchContext, machine: PodmanMachine, upstream: string, upstreamLock: string, images: number): HierarchyTimes {
  const workspace = createTempWorkspace(`kf-bench-scale-${images}-`);
  ctx.cleanup.add(`remove ${workspace.root}`, () => removeWorkspace(workspace, true));
  const env = ctx.nxEnv(machine, { NX_DAEMON: 'true', CI: 'false' });
  workspace.write('build_settings.env', fixtureBuildSettings(upstream));
  workspace.write('upstream-lock.json', upstreamLock);
  const toAdd = syntheticImages(readBenchGraph(workspace, TARGET), images);
  log(`scale ${images}: generating ${toAdd.length} images with nx g @kubeflow-images/nx-plugin:image`);
  for (const image of toAdd) {
    timedNx(workspace, ['g', '@kubeflow-images/nx-plugin:image', image.name, `--parent=${image.parent}`, '--streams=cpu', '--no-interactive'], env, `generating ${image.name}`);
  }
  const graph = readBenchGraph(workspace, TARGET);
  if (graph.order.length !== images) throw new Error(`scale: the Nx graph has ${graph.order.length} images with ${TARGET}, not ${images}`);
  for (const project of graph.order) workspace.write(`${graph.images[project].root}/Dockerfile`, fixtureDockerfile(project));
  workspace.commit(`bench: ${images}-image hierarchy`);
  rmSync(join(workspace.root, 'dist'), { recursive: true, force: true });
  timedNx(workspace, ['show', 'projects'], env, 'starting the daemon');

  const plan = timedNx(workspace, nxArgs('run-many', '-t', TARGET, '-c', 'plan', '--skip-nx-cache'), env, `scale ${images}: plan`);
  const planUnbatched = timedNx(workspace, nxArgs('run-many', '-t', TARGET, '-c', 'plan', '--skip-nx-cache', '--batch=false'), env, `scale ${images}: plan, one process per task`);
  const cold = timedNx(workspace, nxArgs('run-many', '-t', TARGET), env, `scale ${images}: cold build`);
  timedNx(workspace, nxArgs('run-many', '-t', TARGET), env, `scale ${images}: noop warm-up`);
  const noop: number[] = [];
  for (let i = 0; i < ctx.config.samples; i++) noop.push(timedNx(workspace, nxArgs('run-many', '-t', TARGET), env, `scale ${images}: noop`).seconds);
  const leaf = graph.leaves[graph.leaves.length - 1];
  workspace.write(`${graph.images[leaf].root}/Dockerfile`, fixtureDockerfile(`${leaf}-v2`));
  workspace.commit(`bench: change ${leaf}`);
  const change = timedNx(workspace, nxArgs('affected', '-t', TARGET, '--base=HEAD~1', '--head=HEAD'), env, `scale ${images}: leaf change`);
  const times = {
    images,
    plan_s: plan.seconds,
    plan_unbatched_s: planUnbatched.seconds,
    cold_s: cold.seconds,
    noop_s: median(noop),
    leaf_change_s: change.seconds,
    leaf,
    rebuilt: rebuiltProjects(workspace, change.output, TARGET),
  };
  log(`scale ${images}: plan ${times.plan_s.toFixed(1)} s (--batch=false ${times.plan_unbatched_s.toFixed(1)} s), cold ${times.cold_s.toFixed(1)} s, noop ${times.noop_s.toFixed(2)} s, leaf change (${leaf}) ${times.leaf_change_s.toFixed(1)} s`);
  removeWorkspace(workspace, true);
  return times;
}

/** The same questions on the workspace's own hierarchy and on a generated one of `config.scaleImages` images. */
export function scaleScenarios(ctx: BenchContext, upstream: string, upstreamLock: string): ScaleResult[] {
  if (ctx.config.scaleImages === 0) return [];
  const machine = ctx.machine('scale');
  const small = timeHierarchy(ctx, machine, upstream, upstreamLock, 5);
  const large = timeHierarchy(ctx, machine, upstream, upstreamLock, ctx.config.scaleImages);
  const compare = (scenario: ScaleResult['scenario'], key: 'plan_s' | 'plan_unbatched_s' | 'noop_s' | 'leaf_change_s', extra: Partial<ScaleResult> = {}): ScaleResult => ({
    scenario,
    images: large.images,
    wall_s: round(large[key]),
    reference_images: small.images,
    reference_wall_s: round(small[key]),
    ratio: round(large[key] / small[key]),
    ...extra,
  });
  return [
    compare('scale-plan', 'plan_s'),
    compare('scale-plan-unbatched', 'plan_unbatched_s'),
    compare('scale-noop', 'noop_s', { cold_s: round(large.cold_s), reference_cold_s: round(small.cold_s) }),
    compare('scale-leaf-change', 'leaf_change_s', { changed: large.leaf, rebuilt: large.rebuilt, reference_changed: small.leaf, reference_rebuilt: small.rebuilt }),
  ];
}
