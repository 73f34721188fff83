import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BuildConfigurationError } from '../errors';
import type { BuildSettings } from '../settings/build-settings';
import type { UpstreamLock } from '../upstream-lock/upstream-lock';
import { generateGpuUpstream } from './generate';
import {
  generationRecordPath,
  readGenerationRecord,
  removeGenerationRecord,
  sha256OfFile,
  writeGenerationRecord,
  type GenerationRecord,
} from './generation-record';
import { generatorCodeSha256, identityDifferences, type GpuUpstreamIdentity } from './upstream-identity';

/** The generate target's default scratch directory: its cached clones serve a build's generation too. */
export function generationWorkDir(workspaceRoot: string): string {
  return join(workspaceRoot, 'tmp', 'gpu-upstream');
}

export interface GeneratedContextOptions {
  workspaceRoot: string;
  settings: BuildSettings;
  lock: UpstreamLock;
  /** The context directory; generation.json is written beside it. */
  outputDir: string;
  workDir: string;
  log: (line: string) => void;
}

/** Runs the generator and records what it was made from; the record is written only for a complete context. */
export function generateAndRecord(options: GeneratedContextOptions): GenerationRecord {
  const { workspaceRoot, settings } = options;
  const recordPath = generationRecordPath(options.outputDir);
  removeGenerationRecord(recordPath);
  const result = generateGpuUpstream({ ...options });
  const record: GenerationRecord = {
    version: 1,
    context: relative(workspaceRoot, result.outputDir),
    dockerfileSha256: sha256OfFile(join(result.outputDir, 'Dockerfile')),
    gpuJupyter: { repository: settings.values.GPU_JUPYTER_REPO, commitSetting: settings.values.GPU_JUPYTER_HEAD_COMMIT, commit: result.gpuJupyterCommit },
    dockerStacks: { repository: settings.values.DOCKER_STACKS_REPO, commitSetting: settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT, commit: result.dockerStacksCommit },
    layout: result.layout,
    generatorSha256: generatorCodeSha256(),
    cudaBase: result.cudaBase,
  };
  writeGenerationRecord(recordPath, record);
  return record;
}

/** How a generated context differs from the identity a build planned with; [] when it is that context. */
export function contextDifferences(outputDir: string, identity: GpuUpstreamIdentity): string[] {
  const recordPath = generationRecordPath(outputDir);
  const dockerfile = join(outputDir, 'Dockerfile');
  if (!existsSync(recordPath) || !existsSync(dockerfile)) return ['no generated context'];
  let record: GenerationRecord;
  try {
    record = readGenerationRecord(recordPath);
  } catch {
    return ['an unreadable generation.json'];
  }
  if (sha256OfFile(dockerfile) !== record.dockerfileSha256) return ['a Dockerfile changed since generation'];
  return identityDifferences(identity, {
    gpuJupyterCommit: record.gpuJupyter.commitSetting,
    dockerStacksCommit: record.dockerStacks.commitSetting,
    generatorSha256: record.generatorSha256,
    cudaBase: record.cudaBase,
  });
}

/**
 * Makes sure the context a real build is about to use is the one its content
 * tag stands for: reused when generation.json records the same identity,
 * generated otherwise, and refused when even a fresh generation differs (the
 * generator's cuda tag is not the locked one).
 */
export function ensureGeneratedContext(options: GeneratedContextOptions, identity: GpuUpstreamIdentity): void {
  const shown = relative(options.workspaceRoot, options.outputDir);
  const before = contextDifferences(options.outputDir, identity);
  if (before.length === 0) {
    options.log(`${shown} matches the pins (generation.json): not regenerated`);
    return;
  }
  options.log(`generating ${shown} (${before.join('; ')})`);
  generateAndRecord(options);
  const after = contextDifferences(options.outputDir, identity);
  if (after.length > 0) {
    throw new BuildConfigurationError(
      `${shown} generated from the pins is not what gpu-upstream's content tag stands for (${after.join('; ')}): run \`npm run pins\` so upstream-lock.json locks the generator's nvidia/cuda tag, then build again`,
    );
  }
}
