import { BuildConfigurationError } from '../errors';
import { failureReason, runEngineSync, type Cli, type EngineName } from './engine-cli';

/** The setting that picked the engine, named in the fix: builds read IMAGE_ENGINE, container tests and serve IMAGE_RUNTIME. */
export type EngineSetting = 'IMAGE_ENGINE' | 'IMAGE_RUNTIME';

/** A cheap question each engine answers only when it can work: docker needs its daemon, podman only itself. */
const READINESS_PROBE: Record<EngineName, string[]> = {
  docker: ['info', '--format', '{{.ServerVersion}}'],
  podman: ['version', '--format', '{{.Client.Version}}'],
};

/** The one line for an engine that did not answer its readiness probe, `why` being its own words. */
export function notReadyMessage(engine: EngineName, why: string, setting: EngineSetting): string {
  if (engine === 'docker') return `the docker daemon is not reachable (${why}): start dockerd (or Docker Desktop), or set ${setting}=podman`;
  // Building with docker needs buildx as well; running containers does not.
  return `podman is not usable (${why}): install podman, or set ${setting}=docker${setting === 'IMAGE_ENGINE' ? ' with docker buildx' : ''}`;
}

let buildxProbe: boolean | undefined;

/** Probed once per process: choosing the engine and checking it both ask. */
export function dockerBuildxAvailable(): boolean {
  buildxProbe ??= runEngineSync('docker', ['buildx', 'version']).code === 0;
  return buildxProbe;
}

/**
 * Fails with the fix when the engine cannot build: not installed, daemon down,
 * or buildx missing. `engineAnswered`: the engine already answered a question
 * about its storage in this task, so it is installed and reachable; asking
 * again would only cost another engine process per build.
 */
export function assertEngineReady(engine: EngineName, engineAnswered = false): void {
  if (!engineAnswered) {
    const probe = runEngineSync(engine, READINESS_PROBE[engine]);
    if (probe.code !== 0) throw new BuildConfigurationError(notReadyMessage(engine, failureReason(probe), 'IMAGE_ENGINE'));
  }
  if (engine === 'docker' && !dockerBuildxAvailable()) {
    throw new BuildConfigurationError(
      'docker buildx is not installed, and nx-container builds with buildx: install the buildx plugin, or set IMAGE_ENGINE=podman',
    );
  }
}

/** Fails with the fix when the runtime cannot run containers: not installed or its daemon down. */
export async function assertRuntimeReady(cli: Cli): Promise<void> {
  const probe = await cli.run(READINESS_PROBE[cli.name], { timeoutMs: 30_000 });
  if (probe.code !== 0) throw new BuildConfigurationError(notReadyMessage(cli.name, failureReason(probe), 'IMAGE_RUNTIME'));
}
