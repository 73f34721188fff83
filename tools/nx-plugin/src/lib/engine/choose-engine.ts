import { BuildConfigurationError, quoted } from '../errors';
import { ENGINE_NAMES, isEngineName, type EngineName } from './engine-cli';

/** What IMAGE_ENGINE and the build's engine option accept. */
export const ENGINE_CHOICES = [...ENGINE_NAMES, 'auto'] as const;

/**
 * The engine that builds, from IMAGE_ENGINE (or the option). nx-container's
 * docker engine drives `docker buildx`; without buildx the only engine that
 * can build is podman, so "auto" picks by what is there.
 */
export function chooseEngine(setting: string, buildxAvailable: () => boolean): EngineName {
  const wanted = (setting || 'auto').toLowerCase();
  if (isEngineName(wanted)) return wanted;
  if (wanted !== 'auto') {
    throw new BuildConfigurationError(`IMAGE_ENGINE=${quoted(setting)} is not an engine: use ${ENGINE_CHOICES.join(', ')}`);
  }
  return buildxAvailable() ? 'docker' : 'podman';
}

/** The engine that runs containers (container tests, serve): the option, else IMAGE_RUNTIME, else docker. */
export function chooseRuntime(option: string | undefined, setting: string): EngineName {
  const wanted = (option || setting || 'docker').toLowerCase();
  if (isEngineName(wanted)) return wanted;
  throw new BuildConfigurationError(
    `${option ? `runtime option "${option}"` : `IMAGE_RUNTIME="${setting}"`} is not a container runtime: use ${ENGINE_NAMES.join(' or ')}`,
  );
}
