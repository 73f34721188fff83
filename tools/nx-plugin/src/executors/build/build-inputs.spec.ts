import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, matchesGlob, relative } from 'node:path';

// The Nx cache key of build-<stream> must change whenever the code that
// decides an image's content tag, parent or record changes; otherwise Nx
// replays a record the build would no longer write. That code is what the
// build executor imports, plus the gpu-upstream generator code, which the
// gpu-upstream identity hashes file by file.
const WORKSPACE = join(__dirname, '..', '..', '..', '..', '..');
const SOURCES = join(WORKSPACE, 'tools', 'nx-plugin', 'src');
const GPU_UPSTREAM_LIB = join(SOURCES, 'lib', 'gpu-upstream');

function importClosure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)'/g)) {
      const base = join(dirname(file), specifier);
      const resolved = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      if (resolved) queue.push(resolved);
    }
  }
  return seen;
}

function buildToolingPatterns(): { include: string[]; exclude: string[] } {
  const nxJson = JSON.parse(readFileSync(join(WORKSPACE, 'nx.json'), 'utf8'));
  const paths = (nxJson.namedInputs.buildTooling as unknown[]).filter((input): input is string => typeof input === 'string').map((input) => input.replace('{workspaceRoot}/', ''));
  return { include: paths.filter((path) => !path.startsWith('!')), exclude: paths.filter((path) => path.startsWith('!')).map((path) => path.slice(1)) };
}

describe('build-<stream> inputs (nx.json namedInputs.buildTooling)', () => {
  it('name every source file the build executor runs, so a change to how tags are computed misses the Nx cache', () => {
    const hashedGeneratorCode = readdirSync(GPU_UPSTREAM_LIB)
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
      .map((name) => join(GPU_UPSTREAM_LIB, name))
      .filter((path) => statSync(path).isFile());
    const closure = importClosure([join(SOURCES, 'executors', 'build', 'executor.ts'), join(SOURCES, 'executors', 'build', 'batch.ts'), ...hashedGeneratorCode]);
    const { include, exclude } = buildToolingPatterns();
    const covered = (path: string) => include.some((pattern) => matchesGlob(path, pattern)) && !exclude.some((pattern) => matchesGlob(path, pattern));
    const uncovered = [...closure].map((file) => relative(WORKSPACE, file)).filter((path) => !covered(path));
    expect(uncovered).toEqual([]);
  });
});
