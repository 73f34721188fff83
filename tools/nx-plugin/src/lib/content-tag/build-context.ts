import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Dirent } from 'node:fs';
import { join, relative, sep } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { BuildConfigurationError } from '../errors';
import { sha256, type ContextFile } from './content-tag';

/** One non-directory entry of a build context, with its .dockerignore verdict. */
export interface ContextEntry {
  /** Path relative to the context, with forward slashes. */
  path: string;
  absolute: string;
  ignored: boolean;
  entry: Dirent;
}

/**
 * Every file, symlink and special file under a context, each marked as the
 * engine's .dockerignore handling would treat it. Symlinks are never followed:
 * the engine sends the link itself, whatever it points to.
 */
export function walkBuildContext(contextDir: string): ContextEntry[] {
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) {
    throw new BuildConfigurationError(`build context ${contextDir} does not exist: create it or fix the target's "context" option`);
  }
  const ignoreFile = join(contextDir, '.dockerignore');
  const ignore = dockerignore({ ignorecase: false });
  if (existsSync(ignoreFile)) ignore.add(readFileSync(ignoreFile, 'utf8').split(/\r?\n/));
  const entries: ContextEntry[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      const path = relative(contextDir, absolute).split(sep).join('/');
      if (entry.isDirectory()) walk(absolute);
      else entries.push({ path, absolute, ignored: ignore.ignores(path), entry });
    }
  };
  walk(contextDir);
  return entries;
}

function specialFileKind(entry: Dirent): string {
  if (entry.isSocket()) return 'a unix socket';
  if (entry.isFIFO()) return 'a named pipe';
  if (entry.isBlockDevice() || entry.isCharacterDevice()) return 'a device file';
  return 'not a regular file';
}

/**
 * Lists and hashes the files the engine would send for this context, applying
 * its .dockerignore the way Docker does, so files outside the image (README,
 * tests) do not change its content tag. A symlink is hashed as the link text,
 * as the engine copies it: what it points to is not part of the image, so a
 * change there must not change the tag (Nx's hash does not see it either).
 */
export function hashBuildContext(contextDir: string, displayContext = contextDir): ContextFile[] {
  const files: ContextFile[] = [];
  for (const { path, absolute, ignored, entry } of walkBuildContext(contextDir)) {
    if (ignored) continue;
    if (entry.isSymbolicLink()) {
      files.push({ path, sha256: sha256(readlinkSync(absolute)), executable: false, symlink: true });
    } else if (entry.isFile()) {
      files.push({ path, sha256: sha256(readFileSync(absolute)), executable: (lstatSync(absolute).mode & 0o111) !== 0 });
    } else {
      const shown = `${displayContext.replace(/\/$/, '')}/${path}`;
      throw new BuildConfigurationError(
        `build context: ${shown} is ${specialFileKind(entry)}, which an image cannot contain: move it out of the context or add "${path}" to its .dockerignore`,
      );
    }
  }
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
