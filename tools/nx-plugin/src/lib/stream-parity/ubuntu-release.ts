import type { ImageConfig } from '../registry/registry-client';
import { parseImageReference } from '../registry/image-reference';

/** The Ubuntu release of a stream's root, with where it was read, or why it could not be. */
export type UbuntuRelease = { release: string; source: string } | { release: null; reason: string };

export const unknownRelease = (reason: string): UbuntuRelease => ({ release: null, reason });

/** "ubuntu24.04", "ubuntu-22.04", "ubuntu_20.04" inside a tag, as NVIDIA names its CUDA images. */
const UBUNTU_IN_TAG = /(?:^|[-_.])ubuntu[-_]?(\d{2}\.\d{2})(?=$|[-_.])/i;
/** Bases NVIDIA also publishes CUDA for: a tag naming them is not an Ubuntu image. */
const OTHER_DISTRIBUTIONS = /(?:^|[-_.])(ubi\d|rockylinux|centos|oraclelinux|amzn|opensuse)/i;

/**
 * Reads the Ubuntu release from an image's tag, e.g.
 * nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04 -> 24.04.
 */
export function ubuntuFromImageTag(image: string): UbuntuRelease {
  let tag: string | undefined;
  try {
    tag = parseImageReference(image).tag;
  } catch (error) {
    return unknownRelease(`${image} is not an image reference: ${(error as Error).message}`);
  }
  if (!tag) return unknownRelease(`${image} has no tag to read it from`);
  const match = UBUNTU_IN_TAG.exec(tag);
  if (match) return { release: match[1], source: `tag of ${image}` };
  const other = OTHER_DISTRIBUTIONS.exec(tag);
  if (other) return unknownRelease(`${image} is a ${other[1]} image, not Ubuntu`);
  return unknownRelease(`the tag of ${image} names no ubuntuXX.YY`);
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const VERSION = 'org.opencontainers.image.version';
const BASE_NAME = 'org.opencontainers.image.base.name';
const RELEASE = /^(\d{2}\.\d{2})(?:$|[^\d])/;

/**
 * Reads the Ubuntu release from an image config, without any layer:
 * Canonical's ubuntu images label themselves (ref.name=ubuntu,
 * version=24.04) and children inherit the labels unless they set their own;
 * the history keeps the LABEL step even then. An image whose builder left
 * neither (docker-stacks may) is reported unknown, with that reason.
 */
export function ubuntuFromImageConfig(config: ImageConfig): UbuntuRelease {
  const labels = config.config?.Labels ?? {};
  if (labels[REF_NAME]?.toLowerCase() === 'ubuntu') {
    const release = RELEASE.exec(labels[VERSION] ?? '');
    if (release) return { release: release[1], source: `image label ${VERSION}` };
  }
  const base = /(?:^|\/)ubuntu:(\d{2}\.\d{2})(?:$|[^\d])/.exec(labels[BASE_NAME] ?? '');
  if (base) return { release: base[1], source: `image label ${BASE_NAME}` };

  const steps = (config.history ?? []).map((entry) => entry.created_by ?? '');
  if (steps.some((step) => new RegExp(`${REF_NAME.replace(/\./g, '\\.')}=["']?ubuntu\\b`).test(step))) {
    for (const step of steps) {
      const version = new RegExp(`${VERSION.replace(/\./g, '\\.')}=["']?(\\d{2}\\.\\d{2})\\b`).exec(step);
      if (version) return { release: version[1], source: `image history (LABEL ${VERSION}=${version[1]})` };
    }
  }
  const os = config.os ? ` (os ${config.os})` : '';
  return unknownRelease(`its image config${os} has no Ubuntu label or LABEL step in its history`);
}
