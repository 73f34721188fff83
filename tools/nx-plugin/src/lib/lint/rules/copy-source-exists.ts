import type { BuildContextFiles, Finding, LintRule } from '../types';
import { contextSources } from '../../dockerfile/context-sources';

function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (const c of glob) {
    if (c === '*') pattern += '[^/]*';
    else if (c === '?') pattern += '[^/]';
    else pattern += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${pattern}(/.*)?$`);
}

/** Where a source stands in the context: sent, only excluded by .dockerignore, absent, or outside it. */
export function locateSource(source: string, context: BuildContextFiles): 'present' | 'ignored' | 'missing' | 'outside' {
  const parts: string[] = [];
  for (const part of source.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return 'outside';
      parts.pop();
    } else parts.push(part);
  }
  const path = parts.join('/');
  if (path === '') return 'present';
  const matches = /[*?]/.test(path) ? (file: string) => globToRegExp(path).test(file) : (file: string) => file === path || file.startsWith(`${path}/`);
  if (context.files.some(matches)) return 'present';
  if (context.ignored.some(matches)) return 'ignored';
  return 'missing';
}

export const copySourceExists: LintRule = {
  id: 'copy-source-exists',
  description: 'COPY/ADD sources exist in the build context (and are not excluded by its .dockerignore).',
  check({ dockerfile, context }) {
    if (!context) return [];
    return dockerfile.instructions.flatMap((instruction) =>
      contextSources(instruction).flatMap((source): Finding[] => {
        const where = locateSource(source, context);
        if (where === 'present') return [];
        const base = { rule: 'copy-source-exists', line: instruction.line, instructionLine: instruction.line };
        if (where === 'outside') {
          return [{ ...base, message: `${instruction.keyword} source ${source} is outside the build context`, fix: 'move the file into the image\'s directory and copy it from there' }];
        }
        if (where === 'ignored') {
          return [{ ...base, message: `${instruction.keyword} source ${source} is excluded by the context's .dockerignore`, fix: 'remove it from .dockerignore or stop copying it' }];
        }
        return [{ ...base, message: `${instruction.keyword} source ${source} does not exist in the build context`, fix: 'add the file to the image\'s directory or fix the path' }];
      }),
    );
  },
};
