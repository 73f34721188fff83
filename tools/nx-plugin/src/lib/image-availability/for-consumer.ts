import type { ExecutorContext } from '@nx/devkit';
import { runNxContainerCapturingOutput as runNxContainer } from '../engine/engine-output';
import { chooseEngine } from '../engine/choose-engine';
import { assertEngineReady, dockerBuildxAvailable } from '../engine/engine-ready';
import { processScratchDir } from '../debris/run-scratch';
import type { Stream } from '../hierarchy/image-graph';
import type { RecordHealer } from '../records/heal-records';
import { RegistryClient } from '../registry/registry-client';
import { optionalSetting, type BuildSettings } from '../settings/build-settings';
import { recordedImages } from './recorded-images';

/**
 * How a consumer of a built image (test, serve) brings it back when a cache
 * hit restored only its record: an image the registry has is left to the
 * runtime's own pull (one hop, no copy between engines); otherwise it is
 * rebuilt from its record in the engine the build settings name.
 */
export function restoreRecordedImage(context: ExecutorContext, settings: BuildSettings, project: string, stream: Stream, log: (line: string) => void, heal?: RecordHealer) {
  return async (image: string): Promise<'restored' | 'in-registry'> => {
    const registryPrefix = optionalSetting(settings, 'IMAGE_REGISTRY');
    const registry = registryPrefix ? new RegistryClient() : null;
    if (registry && image.startsWith(`${registryPrefix}/`) && (await registry.manifestDigest(image))) return 'in-registry';
    const engine = chooseEngine(optionalSetting(settings, 'IMAGE_ENGINE'), dockerBuildxAvailable);
    assertEngineReady(engine);
    const scratchDir = () => processScratchDir(context.root, engine);
    await recordedImages(context, { settings, engine, registryPrefix, registry, runNxContainer, log, heal, scratchDir }).ensure(project, stream);
    return 'restored';
  };
}
