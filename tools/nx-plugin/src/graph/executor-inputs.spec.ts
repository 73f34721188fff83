import { readFileSync } from 'node:fs';
import { join, matchesGlob, relative } from 'node:path';
import * as ts from 'typescript';
import type { CreateNodesContext, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { generatorCodeFiles } from '../lib/gpu-upstream/upstream-identity';
import { compilerClosure } from '../lib/plugin-build/compiler-closure.test-helper';
import { executorEntries } from '../lib/plugin-build/plugin-sources';
import { EXECUTOR_PACKAGE } from '../lib/targets/image-targets';
import { createNodes } from './infer-image-targets';

// A cached target's Nx cache key must change whenever the code its executor
// runs changes; otherwise Nx replays a result the code would no longer give.
// This walks each executor's imports with the TypeScript compiler (not the
// plugin's own text scan) and checks every file against the inferred inputs.
const WORKSPACE = join(__dirname, '..', '..', '..', '..');
const SOURCES = join(WORKSPACE, 'tools', 'nx-plugin', 'src');

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
    expect(new Set(cached.map(({ executor }) => executor))).toEqual(new Set(['build', 'lint', 'container-test', 'inspect', 'generate-gpu-upstream', 'stream-parity', 'stream-settings']));
    expect(Object.keys(projects).sort()).toEqual(expect.arrayContaining(['base', 'minimal']));
  });

  it.each(cached.map((entry) => [entry.id, entry] as const))('%s names every file and package its executor runs', (_id, { target, executor }) => {
    // gpu-upstream's identity hashes its generator code file by file: the build's key covers all of it.
    const hashed = executor === 'build' ? generatorCodeFiles(join(SOURCES, 'lib', 'gpu-upstream')).map((file) => `lib/gpu-upstream/${file}`) : [];
    const closure = compilerClosure(WORKSPACE, SOURCES, [...entries[executor], ...hashed]);
    expect(closure.files.filter((path) => !covered(path, target.inputs))).toEqual([]);
    const external = (target.inputs ?? []).flatMap((input) => (typeof input === 'object' && 'externalDependencies' in input ? input.externalDependencies : []));
    expect(closure.packages.filter((name) => !external.includes(name))).toEqual([]);
    // And nothing it does not load: Nx refuses an external dependency it cannot find.
    expect(external.filter((name) => !closure.packages.includes(name))).toEqual([]);
  });

  it('leaves specs and test helpers out of every code input', () => {
    for (const { id, target } of cached) {
      const codeFiles = (target.inputs ?? []).filter((input): input is string => typeof input === 'string' && input.includes('/tools/nx-plugin/'));
      expect([id, codeFiles.filter((path) => /\.spec\.ts$|\.test-helper\.ts$|\/testing\//.test(path))]).toEqual([id, []]);
    }
  });
});
