import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import dockerignore from '@balena/dockerignore';
import type { BuildContextFiles } from './types';

/** Lists a build context's files, split by its .dockerignore into sent and excluded (as the engine does). */
export function readBuildContextFiles(contextDir: string): BuildContextFiles {
  const ignore = dockerignore({ ignorecase: false });
  const ignoreFile = join(contextDir, '.dockerignore');
  if (existsSync(ignoreFile)) ignore.add(readFileSync(ignoreFile, 'utf8').split(/\r?\n/));
  const files: string[] = [];
  const ignored: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      const path = relative(contextDir, absolute).split(sep).join('/');
      if (entry.isDirectory()) walk(absolute);
      else (ignore.ignores(path) ? ignored : files).push(path);
    }
  };
  walk(contextDir);
  return { files, ignored };
}
