import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const compilerOptions: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, resolveJsonModule: true };

/**
 * Every plugin source file (relative to `workspace`) and package the entries
 * reach, as the TypeScript compiler resolves their imports, plus
 * require.resolve of a relative path (how a child process's entry is named):
 * a second opinion on the plugin's own text scan.
 */
export function compilerClosure(workspace: string, sources: string, entries: string[]): { files: string[]; packages: string[] } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map((entry) => join(sources, entry));
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
      if (!resolved) throw new Error(`${relative(workspace, file)} imports ${specifier}, which does not resolve`);
      if (resolved.startsWith(sources) && !resolved.endsWith('.d.ts')) queue.push(resolved);
    }
  }
  return { files: [...seen].map((file) => relative(workspace, file)).sort(), packages: [...packages].sort() };
}
