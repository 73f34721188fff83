import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, matchesGlob, relative } from 'node:path';
import * as ts from 'typescript';
import type { CreateNodesContext, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { generatorCodeFiles } from '../lib/gpu-upstream/upstream-identity';
import { executorEntries } from '../lib/plugin-build/plugin-sources';
import { EXECUTOR_PACKAGE } from '../lib/targets/image-targets';
import { createNodes } from './infer-image-targets';

// A cached target's Nx cache key must change whenever the code its executor
// runs changes; otherwise Nx replays a result the code would no longer give.
// This walks each executor's imports with the TypeScript compiler (not the
// plugin's own text scan) and checks every file against the inferred inputs.
const WORKSPACE = join(__dirname, '..', '..', '..', '..');
const SOURCES = join(WORKSPACE, 'tools', 'nx-plugin', 'src');
const compilerOptions: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 };

/** Every plugin source file and package the entries reach, as TypeScript resolves their imports (and require.resolve of a child's entry). */
function compilerClosure(entries: string[]): { files: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map((entry) => join(SOURCES, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const specifiers = ts.preProcessFile(text, true, true).importedFiles.map((ref) => ref.fileName);
    specifiers.push(...[...text.matchAll(/require\.resolve\(\s*'([^']+)'/g)].map((match) => match[1]));
    for (const specifier of specifiers) {
      if (!specifier.startsWith('.')) {
        if (!isBuiltin(specifier)) packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
        continue;
      }
      const resolved = ts.resolveModuleName(specifier, file, compilerOptions, ts.sys).resolvedModule?.resolvedFileName;
      if (resolved && resolved.startsWith(SOURCES) && !resolved.endsWith('.d.ts')) queue.push(resolved);
      else if (!resolved) throw new Error(`${relative(WORKSPACE, file)} imports ${specifier}, which does not resolve`);
    }
  }
  return { files: [...seen].map((file) => relative(WORKSPACE, file)).sort(), packages: [...packages].sort() };
}

function inferredTargets(): Record<string, Record<string, TargetConfiguration>> {
  const files = ['images', 'tools'].flatMap((dir) => ts.sys.readDirectory(join(WORKSPACE, dir), ['.json'], ['**/node_modules'], ['**/project.json'])).map((file) => relative(WORKSPACE, file));
  const results = createNodes[1](files, undefined, { workspaceRoot: WORKSPACE, nxJsonConfiguration: {} } as CreateNodesContext) as (readonly [string, CreateNodesResult])[];
  return Object.fromEntries(
    results.flatMap(([file, result]) => Object.values(result.projects ?? {}).map((project) => [JSON.parse(readFileSync(join(WORKSPACE, file), 'utf8')).name, project.targets ?? {}])),
  );
}

function covered(path: string, inputs: TargetConfiguration['inputs'] = []): boolean {
  const globs = inputs.filter((input): input is string => typeof input === 'string' && input.startsWith('{workspaceRoot}/')).map((input) => input.replace('{workspaceRoot}/', ''));
  const excluded = inputs.filter((input): input is string => typeof input === 'string' && input.startsWith('!{workspaceRoot}/')).map((input) => input.replace('!{workspaceRoot}/', ''));
  return globs.some((glob) => matchesGlob(path, glob)) && !excluded.some((glob) => matchesGlob(path, glob));
}

describe('inferred inputs of every cached target', () => {
  const projects = inferredTargets();
  const entries = executorEntries(join(SOURCES, '..'));
  const cached = Object.entries(projects).flatMap(([project, targets]) =>
    Object.entries(targets)
      .filter(([, target]) => target.cache && target.executor?.startsWith(`${EXECUTOR_PACKAGE}:`))
      .map(([name, target]) => ({ id: `${project}:${name}`, target, executor: target.executor!.split(':')[1] })),
  );

  it('finds cached targets of every executor that has them, for every image', () => {
    expect(new Set(cached.map(({ executor }) => executor))).toEqual(new Set(['build', 'lint', 'container-test', 'inspect', 'generate-gpu-upstream', 'stream-parity']));
    expect(Object.keys(projects).sort()).toEqual(expect.arrayContaining(['base', 'minimal']));
  });

  it.each(cached.map((entry) => [entry.id, entry] as const))('%s names every file and package its executor runs', (_id, { target, executor }) => {
    // gpu-upstream's identity hashes its generator code file by file: the build's key covers all of it.
    const hashed = executor === 'build' ? generatorCodeFiles(join(SOURCES, 'lib', 'gpu-upstream')).map((file) => `lib/gpu-upstream/${file}`) : [];
    const closure = compilerClosure([...entries[executor], ...hashed]);
    expect(closure.files.filter((path) => !covered(path, target.inputs))).toEqual([]);
    const external = (target.inputs ?? []).flatMap((input) => (typeof input === 'object' && 'externalDependencies' in input ? input.externalDependencies : []));
    expect(closure.packages.filter((name) => !external.includes(name))).toEqual([]);
  });

  it('leaves specs and test helpers out of every code input', () => {
    for (const { id, target } of cached) {
      const codeFiles = (target.inputs ?? []).filter((input): input is string => typeof input === 'string' && input.includes('/tools/nx-plugin/'));
      expect([id, codeFiles.filter((path) => /\.spec\.ts$|\.test-helper\.ts$|\/testing\//.test(path))]).toEqual([id, []]);
    }
  });
});
