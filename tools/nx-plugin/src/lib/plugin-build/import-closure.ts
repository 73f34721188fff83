import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

/** What a set of entry modules runs: the plugin's own files and the packages they load. */
export interface ImportClosure {
  /** Paths relative to the source folder, '/'-separated, sorted. */
  files: string[];
  /** npm package names, sorted. */
  packages: string[];
}

// The keyword must stand alone: `{ 'cache-from': [], 'x': 1 }` names no module.
const SPECIFIER = /(?<![\w$.'"-])(?:from|import|require(?:\.resolve)?)\s*\(?\s*['"]([^'"\n]+)['"]/g;

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveSource(from: string, specifier: string): string | null {
  const base = join(dirname(from), specifier);
  // A JSON file is imported by its full name (an executor's schema.json).
  return [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => /\.(ts|json)$/.test(candidate) && existsSync(candidate)) ?? null;
}

/**
 * Every source file the entries reach through static imports, dynamic
 * imports, require and require.resolve of a relative path (a child process's
 * entry is named that way), and every package they name. Read as text, so it
 * costs no compiler: it runs while Nx builds its project graph.
 */
export function importClosure(sourceDir: string, entries: string[]): ImportClosure {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map((entry) => join(sourceDir, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.endsWith('.json')) continue; // data: it imports nothing
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (specifier.startsWith('.')) {
        const resolved = resolveSource(file, specifier);
        if (resolved) queue.push(resolved);
      } else if (!isBuiltin(specifier)) {
        packages.add(packageOf(specifier));
      }
    }
  }
  return {
    files: [...seen].map((file) => relative(sourceDir, file).split(sep).join('/')).sort(),
    packages: [...packages].sort(),
  };
}
