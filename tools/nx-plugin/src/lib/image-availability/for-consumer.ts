import type { ExecutorContext } from '@nx/devkit';
import { runNxContainer } from '../build-plan/nx-container-run';
import { assertEngineReady, chooseEngine, dockerBuildxAvailable } from '../engine/container-engine';
import type { Stream } from '../hierarchy/image-graph';
import { RegistryClient } from '../registry/registry-client';
import { optionalSetting, type BuildSettings } from '../settings/build-settings';
import { recordedImages } from './recorded-images';

/**
 * How a consumer of a built image (test, serve) brings it back when a cache
 * hit restored only its record: the build settings' engine and registry, as
 * the build itself would use them.
 */
export function restoreRecordedImage(context: ExecutorContext, settings: BuildSettings, project: string, stream: Stream, log: (line: string) => void) {
  return async (): Promise<void> => {
    const engine = chooseEngine(optionalSetting(settings, 'IMAGE_ENGINE'), dockerBuildxAvailable);
    assertEngineReady(engine);
    const registryPrefix = optionalSetting(settings, 'IMAGE_REGISTRY');
    const images = recordedImages(context, {
      engine,
      registryPrefix,
      registry: registryPrefix ? new RegistryClient() : null,
      runNxContainer,
      log,
    });
    await images.ensure(project, stream);
  };
}
