import { walkBuildContext } from '../content-tag/build-context';
import type { BuildContextFiles } from './types';

/** Lists a build context's files, split by its .dockerignore into sent and excluded (as the engine does). */
export function readBuildContextFiles(contextDir: string): BuildContextFiles {
  const files: string[] = [];
  const ignored: string[] = [];
  for (const entry of walkBuildContext(contextDir)) (entry.ignored ? ignored : files).push(entry.path);
  return { files, ignored };
}
