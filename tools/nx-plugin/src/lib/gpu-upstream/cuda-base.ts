import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { finalBaseImage } from '../dockerfile/final-base';
import { git } from '../git/run-git';
import { parseImageReference } from '../registry/image-reference';
import type { BuildSettings } from '../settings/build-settings';
import { CUDA_UPSTREAM_KEY, lookupUpstream, type LockedUpstream, type UpstreamLock } from '../upstream-lock/upstream-lock';
import { KNOWN_LAYOUTS } from './generator-layout';
import { pinSourceOf, resolvePinnedCommit } from './git-source';

const FIX = 'adapt tools/nx-plugin/src/lib/gpu-upstream to the generator or pin another GPU_JUPYTER_HEAD_COMMIT in build_settings.env';

/** name:tag of an image written with or without a digest. */
function withoutDigest(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? image : image.slice(0, at);
}

/**
 * Puts the locked digest into the generated Dockerfile's base: `FROM
 * nvidia/cuda:tag` becomes `FROM nvidia/cuda:tag@sha256:…` when
 * upstream-lock.json locks that tag; otherwise the text is unchanged and
 * `cuda` says why it is not locked.
 */
export function pinGeneratedBase(text: string, lock: UpstreamLock, where: string): { text: string; base: string; cuda: LockedUpstream } {
  const { image, line } = finalBaseImage(text, where, FIX);
  parseImageReference(image);
  const cuda = lookupUpstream(lock, CUDA_UPSTREAM_KEY, withoutDigest(image));
  if (!cuda.locked) return { text, base: image, cuda };
  const lines = text.split('\n');
  lines[line - 1] = lines[line - 1].replace(image, cuda.pinned);
  return { text: lines.join('\n'), base: cuda.pinned, cuda };
}

/**
 * The nvidia/cuda name:tag the generator at GPU_JUPYTER_HEAD_COMMIT starts
 * from, read from its header fragment in the cached clone (fetched when the
 * commit is not there yet): what `npm run pins` locks for gpu-upstream.
 */
export function generatorCudaReference(options: { workspaceRoot: string; settings: BuildSettings; workDir: string }): string {
  const { settings, workspaceRoot } = options;
  const pin = pinSourceOf(settings, workspaceRoot, 'gpu-jupyter', 'GPU_JUPYTER_REPO', 'GPU_JUPYTER_HEAD_COMMIT');
  const gpu = resolvePinnedCommit(join(options.workDir, 'repos'), settings.values.GPU_JUPYTER_HEAD_COMMIT, pin);
  for (const layout of KNOWN_LAYOUTS) {
    let header: string;
    try {
      header = git(gpu.cache, ['show', `${gpu.sha}:${layout.header}`]);
    } catch {
      continue;
    }
    return withoutDigest(finalBaseImage(header, `${layout.header} of gpu-jupyter ${gpu.sha.slice(0, 12)}`, FIX).image);
  }
  throw new BuildConfigurationError(
    `gpu-jupyter ${gpu.sha.slice(0, 12)} has none of ${KNOWN_LAYOUTS.map((l) => l.header).join(', ')}: ${FIX}`,
  );
}
