import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { finalBaseImage } from '../dockerfile/final-base';
import { BuildConfigurationError } from '../errors';
import { generationRecordPath, readGenerationRecord, sha256OfFile } from '../gpu-upstream/generation-record';
import { RegistryAuthError, RegistryError, RegistryUnreachableError } from '../registry/errors';
import type { ImageConfig } from '../registry/registry-client';
import type { BuildSettings } from '../settings/build-settings';
import type { StreamRoots } from './parity';
import { ubuntuFromImageConfig, ubuntuFromImageTag, unknownRelease, type UbuntuRelease } from './ubuntu-release';

export interface CollectOptions {
  workspaceRoot: string;
  settings: BuildSettings;
  /** The generated build context of gpu-upstream (absolute). */
  contextDir: string;
  /** The environment the settings were read with: tells whether the commit came from it. */
  env: NodeJS.ProcessEnv;
  /** Reads an image config over the registry API; null skips the registry (reported as unknown). */
  readImageConfig: ((reference: string) => Promise<ImageConfig | null>) | null;
}

/** Never throws: the registry is optional for the report, so every way it fails becomes the reason of "unknown". */
export async function cpuUbuntuRelease(reference: string, readImageConfig: CollectOptions['readImageConfig']): Promise<UbuntuRelease> {
  if (!readImageConfig) return unknownRelease('the registry was not asked (readRegistry is false)');
  try {
    const config = await readImageConfig(reference);
    if (!config) return unknownRelease(`${reference} is not in its registry`);
    return ubuntuFromImageConfig(config);
  } catch (error) {
    if (error instanceof RegistryUnreachableError) return unknownRelease(`registry ${error.registry} not reachable: ${error.reason}`);
    if (error instanceof RegistryAuthError) {
      return unknownRelease(`registry ${error.registry} ${error.hadCredentials ? 'refused our login' : 'wants a login'} (HTTP ${error.status}); podman login ${error.registry} to read it`);
    }
    if (error instanceof RegistryError || error instanceof BuildConfigurationError) return unknownRelease(error.message);
    return unknownRelease(`reading its image config failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Gathers both streams' roots: the cpu pin from build_settings.env (and its
 * image config from the registry, where reachable), the gpu root from the
 * generation record and the generated Dockerfile.
 */
export async function collectStreamRoots(options: CollectOptions): Promise<StreamRoots> {
  const { workspaceRoot, settings, contextDir } = options;
  const shown = (path: string) => relative(workspaceRoot, path);
  const recordPath = generationRecordPath(contextDir);
  const record = readGenerationRecord(recordPath, shown(recordPath));
  const dockerfile = join(contextDir, 'Dockerfile');
  if (!existsSync(dockerfile)) {
    throw new BuildConfigurationError(`${shown(dockerfile)} not found although ${shown(recordPath)} records a generation: run \`nx run gpu-upstream:generate\``);
  }
  if (sha256OfFile(dockerfile) !== record.dockerfileSha256) {
    throw new BuildConfigurationError(
      `${shown(dockerfile)} is not the Dockerfile ${shown(recordPath)} describes (changed after generation): run \`nx run gpu-upstream:generate\` and do not edit its output`,
    );
  }
  const base = finalBaseImage(readFileSync(dockerfile, 'utf8'), shown(dockerfile), 'regenerate it with `nx run gpu-upstream:generate`');

  const cpuImage = settings.values.UPSTREAM_CONTAINER_CPU;
  return {
    cpu: {
      image: cpuImage,
      commit: settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT,
      commitSource: options.env.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT !== undefined ? 'the environment' : settings.file,
      ubuntu: await cpuUbuntuRelease(cpuImage, options.readImageConfig),
    },
    gpu: {
      baseImage: base.image,
      baseImageAt: `${shown(dockerfile)}:${base.line}`,
      commit: record.dockerStacks.commit,
      commitSetting: record.dockerStacks.commitSetting,
      gpuJupyterCommit: record.gpuJupyter.commit,
      recordFile: shown(recordPath),
      ubuntu: withLine(ubuntuFromImageTag(base.image), `${shown(dockerfile)}:${base.line}`),
    },
  };
}

function withLine(release: UbuntuRelease, at: string): UbuntuRelease {
  return release.release !== null ? { release: release.release, source: `FROM at ${at}` } : unknownRelease(`${release.reason}, FROM at ${at}`);
}
