import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodmanMachine } from '../../e2e/support/podman-fixtures';
import type { TempWorkspace } from '../../e2e/support/temp-workspace';
import { benchDockerfile, type WorkPerImage } from './fixtures';
import type { BenchGraph } from './graph';
import { rebuiltProjects, timedNx } from './nx-runs';
import type { PulledBytes } from './registry-log';
import { round, type ScenarioResult } from './report';

export interface PrunedEngineSetup {
  workspace: TempWorkspace;
  graph: BenchGraph;
  target: string;
  stream: string;
  /** The leaf whose Dockerfile changes. */
  leaf: string;
  work: WorkPerImage;
  /** The leaf's Dockerfile revision to change to: one no earlier scenario built. */
  revision: number;
  /** The engine storage that holds every image (where the Nx cache was warmed). */
  warmEngine: PodmanMachine;
  /** A new, empty engine storage: what `docker system prune` or a new laptop leaves. */
  emptyEngine(): PodmanMachine;
  /** A user's run with the registry configured, not pushing. */
  registryEnv(engine: PodmanMachine): NodeJS.ProcessEnv;
  /** Registry path prefix every bench repository lives under. */
  namespace: string;
  measurePulled(run: () => void): Promise<PulledBytes>;
  log(message: string): void;
}

/**
 * pruned-engine: a warm Nx cache, an engine whose storage was emptied, and
 * one leaf changed. The leaf is rebuilt; its parent, restored by Nx as a
 * record only, is pulled by digest (and nothing else is pulled or rebuilt).
 */
export async function prunedEngineScenario(setup: PrunedEngineSetup): Promise<ScenarioResult> {
  const { workspace, graph, target, leaf } = setup;
  const args = ['run-many', '-t', target, '--output-style=static'];
  setup.log('pruned-engine: warming the Nx cache with the registry configured (not pushing)');
  timedNx(workspace, args, setup.registryEnv(setup.warmEngine), 'pruned-engine warm-up');
  const engine = setup.emptyEngine();
  workspace.write(`${graph.images[leaf].root}/Dockerfile`, benchDockerfile(leaf, setup.work, setup.revision));
  workspace.commit(`bench: change ${leaf} again`);
  setup.log(`pruned-engine: empty engine storage, ${leaf} changed; nx run-many -t ${target}`);
  let run!: ReturnType<typeof timedNx>;
  const pulled = await setup.measurePulled(() => {
    run = timedNx(workspace, args, setup.registryEnv(engine), 'pruned-engine');
  });
  const parent = graph.images[leaf].parents[0];
  const repository = (project: string) => `${setup.namespace}/${graph.images[project].imageName}-${setup.stream}`;
  return {
    scenario: 'pruned-engine',
    rebuilt: rebuiltProjects(workspace, run.output, target, setup.stream),
    wall_s: round(run.seconds),
    pulled_bytes: pulled.bytes,
    // The scripts keep no records: on an empty engine they are the cold scenario again.
    baseline_wall_s: null,
    baseline_pulled_bytes: null,
    changed: leaf,
    pulled_repositories: Object.keys(pulled.byRepository).sort(),
    expected_pulled_repositories: parent ? [repository(parent)] : [],
    // With the daemon on, Nx prints the run summary into the daemon's log; the file has it.
    summary: readFileSync(join(workspace.root, 'dist', 'run-summary.txt'), 'utf8').trim(),
  };
}
