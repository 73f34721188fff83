import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { BuildConfigurationError } from '../errors';
import { sha256, type ContextFile } from './content-tag';

/**
 * Lists and hashes the files the engine would send for this context, applying
 * its .dockerignore the way Docker does, so files outside the image (README,
 * tests) do not change its content tag.
 */
export function hashBuildContext(contextDir: string): ContextFile[] {
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) {
    throw new BuildConfigurationError(`build context ${contextDir} does not exist: create it or fix the target's "context" option`);
  }
  const ignoreFile = join(contextDir, '.dockerignore');
  const ignore = dockerignore({ ignorecase: false });
  if (existsSync(ignoreFile)) ignore.add(readFileSync(ignoreFile, 'utf8').split(/\r?\n/));
  const files: ContextFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      const path = relative(contextDir, absolute).split(sep).join('/');
      if (entry.isDirectory()) {
        walk(absolute);
      } else if (!ignore.ignores(path)) {
        const stat = statSync(absolute);
        files.push({ path, sha256: sha256(readFileSync(absolute)), executable: (stat.mode & 0o111) !== 0 });
      }
    }
  };
  walk(contextDir);
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function hashDockerfile(dockerfile: string, project: string): string {
  if (!existsSync(dockerfile)) {
    throw new BuildConfigurationError(
      `${project}: Dockerfile ${dockerfile} not found: create it or set the target's "dockerfile" option`,
    );
  }
  return sha256(readFileSync(dockerfile));
}
