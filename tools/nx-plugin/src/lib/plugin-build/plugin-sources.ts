import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { generatorCodeFiles } from '../gpu-upstream/upstream-identity';
import { compiledPackageOf, readCompiledFrom } from './compiled-plugin';
import { importClosure } from './import-closure';

/** The plugin package's root: the compiled package Nx loaded, or tools/nx-plugin when running from the sources. */
const PACKAGE_ROOT = compiledPackageOf(__dirname) ?? join(__dirname, '..', '..', '..');

/** Where the plugin's sources are, relative to the workspace root ('/'-separated): what Nx hashes. */
export function pluginSourcesIn(workspaceRoot: string): string {
  const compiled = readCompiledFrom(PACKAGE_ROOT);
  if (compiled && compiled.sources) return compiled.sources;
  return relative(workspaceRoot, join(PACKAGE_ROOT, 'src')).split(sep).join('/');
}

export type ExecutorName = 'build' | 'generate-gpu-upstream' | 'stream-parity' | 'lint' | 'container-test' | 'serve' | 'inspect';

interface ExecutorsJson {
  executors: Record<string, { implementation: string; batchImplementation?: string }>;
}

/** The source module of a compiled path of executors.json (./dist/executors/build/executor.js → executors/build/executor.ts). */
export function sourceOfCompiled(path: string): string {
  return path.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
}

/** Each executor's entry modules, as executors.json names them, relative to the sources. */
export function executorEntries(packageRoot: string = PACKAGE_ROOT): Record<string, string[]> {
  const json = JSON.parse(readFileSync(join(packageRoot, 'executors.json'), 'utf8')) as ExecutorsJson;
  return Object.fromEntries(
    Object.entries(json.executors).map(([name, executor]) => [
      name,
      [executor.implementation, executor.batchImplementation].filter((path): path is string => !!path).map(sourceOfCompiled),
    ]),
  );
}

/** Nx inputs: the plugin files an executor runs (its import closure, from the workspace's sources) and the packages they load. */
export type CodeInputs = (string | { externalDependencies: string[] })[];

/**
 * The code input of each executor's targets, derived from what it imports, so
 * no list of folders can drift from the code. The build executor also covers
 * the gpu-upstream generator code, which gpu-upstream's identity hashes file
 * by file.
 */
export function executorCodeInputs(workspaceRoot: string): Record<string, CodeInputs> {
  const sources = pluginSourcesIn(workspaceRoot);
  const sourceDir = join(workspaceRoot, sources);
  const result: Record<string, CodeInputs> = {};
  for (const [name, entries] of Object.entries(executorEntries())) {
    const extra = name === 'build' ? generatorCodeFiles(join(sourceDir, 'lib', 'gpu-upstream')).map((file) => `lib/gpu-upstream/${file}`) : [];
    const closure = importClosure(sourceDir, [...entries, ...extra]);
    result[name] = [...closure.files.map((file) => `{workspaceRoot}/${sources}/${file}`), { externalDependencies: closure.packages }];
  }
  return result;
}
