import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PodmanMachine } from '../../../e2e/support/podman-fixtures';
import { fixtureBuildSettings, fixtureCpuLock, pushFixtureUpstream } from '../../../e2e/support/podman-fixtures';
import { createTempWorkspace, type TempWorkspace } from '../../../e2e/support/temp-workspace';
import { podmanRunner, type PodmanRunner } from '../baseline';
import { log, removeMachine, removeWorkspace, TARGET, type BenchContext } from '../context';
import { benchDockerfile } from '../fixtures';
import { readBenchGraph, type BenchGraph } from '../graph';

/** The workspace copy every main scenario runs on, and the storages Nx and the scripts build in. */
export interface BenchHierarchy {
  workspace: TempWorkspace;
  graph: BenchGraph;
  /** repository:tag of the fixture upstream in the bench's registry namespace. */
  upstream: string;
  /** upstream-lock.json locking the fixture upstream to the digest it was pushed with. */
  upstreamLock: string;
  nxMachine: PodmanMachine;
  baseline: PodmanRunner;
  /** A user's terminal: the Nx daemon on, not CI. */
  localEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

export const nxArgs = (...args: string[]) => [...args, '--output-style=static'];

/** Pushes the fixture upstream, copies the workspace with the bench's Dockerfiles, and reads the hierarchy from the Nx graph. */
export function createBenchHierarchy(ctx: BenchContext): BenchHierarchy {
  const upstream = `${ctx.registryPrefix}/fixtures/datascience-notebook:fixture-commit`;
  const upstreamMachine = ctx.machine('upstream');
  const upstreamLock = fixtureCpuLock(upstream, pushFixtureUpstream(upstreamMachine, upstream));
  removeMachine(upstreamMachine);
  log(`pushed the fixture upstream ${upstream}`);

  const workspace = createTempWorkspace('kf-bench-ws-');
  ctx.cleanup.add(`remove ${workspace.root}`, () => removeWorkspace(workspace, true));
  workspace.write('build_settings.env', fixtureBuildSettings(upstream));
  workspace.write('upstream-lock.json', upstreamLock);
  const graph = readBenchGraph(workspace, TARGET);
  for (const project of graph.order) workspace.write(`${graph.images[project].root}/Dockerfile`, benchDockerfile(project, ctx.config));
  workspace.commit('bench fixtures');
  // The graph questions above left Nx state behind: cold means none.
  rmSync(join(workspace.root, '.nx'), { recursive: true, force: true });
  rmSync(join(workspace.root, 'dist'), { recursive: true, force: true });
  log(`images from the Nx graph, parents first: ${graph.order.join(', ')} (leaves: ${graph.leaves.join(', ')})`);

  const nxMachine = ctx.machine('nx');
  const baseline = podmanRunner(ctx.machine('baseline').env);
  const localEnv = (extra: NodeJS.ProcessEnv = {}) => ctx.nxEnv(nxMachine, { NX_DAEMON: 'true', CI: 'false', ...extra });
  return { workspace, graph, upstream, upstreamLock, nxMachine, baseline, localEnv };
}
