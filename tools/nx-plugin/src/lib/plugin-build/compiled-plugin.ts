import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { BuildConfigurationError } from '../errors';

/** Written by tools/nx-plugin/build-plugin.js once dist/ is complete. */
export const BUILT_AT_FILE = '.built-at';

/** Sources the compile leaves out (tsconfig.lib.json excludes them): changing them changes nothing that runs. */
function isTestOnly(path: string): boolean {
  return /\.spec\.ts$|\.test-helper\.ts$/.test(path) || path.split('/').includes('testing');
}

/**
 * The plugin sources changed after the last compile (newest first), or null
 * when dist/ is fresh. Missing dist/ counts every source as changed.
 */
export function sourcesNewerThanCompile(pluginRoot: string): string[] {
  const marker = join(pluginRoot, 'dist', BUILT_AT_FILE);
  const builtAt = existsSync(marker) ? statSync(marker).mtimeMs : -Infinity;
  const src = join(pluginRoot, 'src');
  const changed: { path: string; mtime: number }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(absolute);
        continue;
      }
      const path = relative(src, absolute).split(sep).join('/');
      if (isTestOnly(path)) continue;
      const mtime = statSync(absolute).mtimeMs;
      if (mtime > builtAt) changed.push({ path, mtime });
    }
  };
  walk(src);
  return changed.sort((a, b) => b.mtime - a.mtime).map((file) => file.path);
}

/**
 * Refuses to run compiled plugin code older than its sources: the Nx cache key
 * is computed from the sources, so stale code would record a content tag under
 * a key that promises the new code. A no-op when running from the sources (jest).
 */
export function assertCompiledPluginFresh(moduleDir: string): void {
  const parts = moduleDir.split(sep);
  const distIndex = parts.lastIndexOf('dist');
  if (distIndex < 0) return;
  const pluginRoot = parts.slice(0, distIndex).join(sep) || sep;
  if (!existsSync(join(pluginRoot, 'src'))) return;
  const changed = sourcesNewerThanCompile(pluginRoot);
  if (changed.length > 0) {
    const shown = changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '');
    throw new BuildConfigurationError(
      `the compiled workspace plugin (tools/nx-plugin/dist) is older than its sources (${shown}): run npm run build:plugin`,
    );
  }
}
