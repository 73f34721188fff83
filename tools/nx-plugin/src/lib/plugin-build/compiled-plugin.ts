import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BuildConfigurationError } from '../errors';

/**
 * Written beside the compiled plugin's package.json by tools/nx-plugin/build-plugin.js:
 * where the sources are (relative to the workspace root) and the sha256 of each
 * one that was compiled.
 */
export const COMPILED_FROM_FILE = 'compiled-from.json';

export interface CompiledFrom {
  sources: string;
  files: Record<string, string>;
}

/** Sources the compile leaves out (tsconfig.lib.json excludes them): changing them changes nothing that runs. */
export function isTestOnly(path: string): boolean {
  return /\.spec\.ts$|\.test-helper\.ts$/.test(path) || path.split('/').includes('testing');
}

/** sha256 of every file under `sourceDir` that the compiled plugin is made from, by path relative to it. */
export function sourceDigests(sourceDir: string): Record<string, string> {
  const digests: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(absolute);
        continue;
      }
      const path = relative(sourceDir, absolute).split(sep).join('/');
      if (!isTestOnly(path)) digests[path] = createHash('sha256').update(readFileSync(absolute)).digest('hex');
    }
  };
  walk(sourceDir);
  return Object.fromEntries(Object.entries(digests).sort(([a], [b]) => a.localeCompare(b)));
}

/** The sources whose content differs from what was compiled (changed, added or removed), in path order. */
export function sourcesChangedSinceCompile(compiled: CompiledFrom | null, current: Record<string, string>): string[] {
  const before = compiled?.files ?? {};
  const paths = new Set([...Object.keys(before), ...Object.keys(current)]);
  return [...paths].filter((path) => before[path] !== current[path]).sort();
}

export function readCompiledFrom(packageRoot: string): CompiledFrom | null {
  const file = join(packageRoot, COMPILED_FROM_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CompiledFrom;
  } catch {
    return null;
  }
}

/** The compiled package that holds `moduleDir` (its dist/ folder's parent), or null when running from the sources. */
export function compiledPackageOf(moduleDir: string): string | null {
  const parts = moduleDir.split(sep);
  const distIndex = parts.lastIndexOf('dist');
  if (distIndex < 0) return null;
  const packageRoot = parts.slice(0, distIndex).join(sep) || sep;
  return existsSync(join(packageRoot, COMPILED_FROM_FILE)) ? packageRoot : null;
}

/**
 * Refuses to run compiled plugin code made from other sources than the
 * workspace's: the Nx cache key is computed from the sources, so stale code
 * would record a content tag under a key that promises the new code. Compares
 * contents, so a checkout that rewrites identical files changes nothing. A
 * no-op when running from the sources (jest).
 */
export function assertCompiledPluginFresh(workspaceRoot: string, moduleDir: string): void {
  const packageRoot = compiledPackageOf(moduleDir);
  if (!packageRoot) return;
  const compiled = readCompiledFrom(packageRoot);
  const sources = join(workspaceRoot, compiled?.sources ?? '');
  if (!compiled || !existsSync(sources)) return;
  const changed = sourcesChangedSinceCompile(compiled, sourceDigests(sources));
  if (changed.length > 0) {
    const shown = changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '');
    throw new BuildConfigurationError(
      `the compiled workspace plugin (${relative(workspaceRoot, packageRoot) || packageRoot}) was compiled from other sources than ${compiled.sources} (${shown}): run npm run build:plugin`,
    );
  }
}
