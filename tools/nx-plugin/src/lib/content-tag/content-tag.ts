import { createHash } from 'node:crypto';

/** One file of a build context, as the engine would receive it. */
export interface ContextFile {
  /** Path relative to the context, with forward slashes. */
  path: string;
  sha256: string;
  executable: boolean;
  /** A symlink, sent by the engine as the link itself: sha256 is that of the link's target text. */
  symlink?: boolean;
}

/** Everything that decides what an image contains. */
export interface ContentInputs {
  stream: string;
  /** The Dockerfile's text hash (it may live outside the context). */
  dockerfileSha256: string;
  contextFiles: ContextFile[];
  /** The parent's identity: its content tag, or the pinned reference of an upstream. */
  parentIdentity: string;
  buildArgs: Record<string, string>;
}

export const CONTENT_TAG_PREFIX = 'content-';

/**
 * A tag derived from the image's real inputs only (no paths of this machine,
 * no time, no git state), so any machine computes the same tag for the same
 * inputs and a registry can answer "is this image built already?".
 */
export function contentTag(inputs: ContentInputs): string {
  const canonical = {
    version: 1,
    stream: inputs.stream,
    dockerfile: inputs.dockerfileSha256,
    context: [...inputs.contextFiles]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((file) => (file.symlink ? [file.path, file.sha256, 'symlink'] : [file.path, file.sha256, file.executable])),
    parent: inputs.parentIdentity,
    buildArgs: Object.keys(inputs.buildArgs)
      .sort()
      .map((key) => [key, inputs.buildArgs[key]]),
  };
  const digest = createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
  return `${CONTENT_TAG_PREFIX}${digest.slice(0, 24)}`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
