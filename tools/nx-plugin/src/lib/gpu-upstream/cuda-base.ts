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

/** nvidia/cuda:<version>-<flavour>-<os>, as NVIDIA tags its images (12.9.1-cudnn-runtime-ubuntu24.04). */
const CUDA_TAG = /^(.+):(\d+\.\d+(?:\.\d+)?)-([a-z0-9-]+)-((?:ubuntu|ubi|rockylinux|oraclelinux|centos|amzn)[\w.]*)$/;

/**
 * The one CUDA source of the gpu stream is the frameworks' wheels: PyTorch's
 * CUDA builds require the nvidia-*-cu12 wheels and load them from
 * site-packages, and tensorflow[and-cuda] installs the same wheels. The
 * CUDA math libraries and cuDNN of a `runtime` or `cudnn-runtime` image would
 * be a second, unused copy of several GB, so gpu-upstream starts from the
 * same CUDA version's `base` flavour instead: the CUDA runtime, the
 * forward-compatibility driver libraries and the NVIDIA container toolkit's
 * settings. `nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04` →
 * `nvidia/cuda:12.9.1-base-ubuntu24.04`.
 */
export function cudaBaseFlavour(reference: string, where: string): string {
  const match = CUDA_TAG.exec(withoutDigest(reference));
  if (!match) {
    throw new BuildConfigurationError(`${where}: the generator starts from ${reference}, not an nvidia/cuda:<version>-<flavour>-<os> tag, so its base flavour cannot be chosen: ${FIX}`);
  }
  const [, name, version, , os] = match;
  return `${name}:${version}-base-${os}`;
}

/**
 * The generated Dockerfile's base as built: the generator's nvidia/cuda tag
 * in its `base` flavour (cudaBaseFlavour), `@sha256:…` added when
 * upstream-lock.json locks that tag; unlocked, `cuda` says why.
 */
export function pinGeneratedBase(text: string, lock: UpstreamLock, where: string): { text: string; base: string; cuda: LockedUpstream } {
  const { image, line } = finalBaseImage(text, where, FIX);
  parseImageReference(image);
  const flavour = cudaBaseFlavour(image, where);
  const cuda = lookupUpstream(lock, CUDA_UPSTREAM_KEY, flavour);
  const base = cuda.locked ? cuda.pinned : flavour;
  const lines = text.split('\n');
  lines[line - 1] = lines[line - 1].replace(image, base);
  return { text: lines.join('\n'), base, cuda };
}

/**
 * The nvidia/cuda name:tag gpu-upstream starts from: the one the generator at
 * GPU_JUPYTER_HEAD_COMMIT names in its header fragment (read in the cached
 * clone, fetched when the commit is not there yet), in its `base` flavour
 * (cudaBaseFlavour). What `npm run pins` locks for gpu-upstream.
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
    const where = `${layout.header} of gpu-jupyter ${gpu.sha.slice(0, 12)}`;
    return cudaBaseFlavour(finalBaseImage(header, where, FIX).image, where);
  }
  throw new BuildConfigurationError(
    `gpu-jupyter ${gpu.sha.slice(0, 12)} has none of ${KNOWN_LAYOUTS.map((l) => l.header).join(', ')}: ${FIX}`,
  );
}
