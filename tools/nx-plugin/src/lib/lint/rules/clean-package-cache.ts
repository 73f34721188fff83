import type { LintRule, Finding } from '../types';
import type { DockerfileInstruction } from '../../dockerfile/parse-dockerfile';
import { argsOf, programOf, splitCommands, subcommandOf, type ShellCommand } from '../shell';
import { isAptInstall, isCondaChange, isCondaClean, isNpmInstall, isPipInstall } from './package-managers';

interface CacheKind {
  /** The command that creates the cache. */
  creates(command: ShellCommand): boolean;
  /** The command itself avoids the cache (pip --no-cache-dir). */
  avoids?(command: ShellCommand): boolean;
  /** A later command in the same RUN that cleans it. */
  cleans(command: ShellCommand): boolean;
  what: string;
  fix: string;
}

const removes = (command: ShellCommand, path: RegExp) => programOf(command) === 'rm' && argsOf(command).some((w) => path.test(w));

const KINDS: CacheKind[] = [
  {
    creates: isAptInstall,
    cleans: (c) => removes(c, /^\/var\/lib\/apt\/lists(\/\*?)?$/),
    what: 'apt-get leaves its package lists in /var/lib/apt/lists',
    fix: 'end the same RUN with `&& apt-get clean && rm -rf /var/lib/apt/lists/*`',
  },
  {
    creates: isCondaChange,
    cleans: isCondaClean,
    what: 'conda/mamba leaves its package cache',
    fix: 'add `&& mamba clean --all -f -y` (or `conda clean --all -f -y`) to the same RUN',
  },
  {
    creates: isPipInstall,
    avoids: (c) => c.words.includes('--no-cache-dir'),
    cleans: (c) => (/^pip[0-9.]*$/.test(programOf(c)) && subcommandOf(c) === 'cache' && argsOf(c).includes('purge')) || removes(c, /\.cache\/pip/),
    what: 'pip install keeps its download cache',
    fix: 'use `pip install --no-cache-dir` (or add `&& pip cache purge` to the same RUN)',
  },
  {
    creates: isNpmInstall,
    cleans: (c) => programOf(c) === 'npm' && subcommandOf(c) === 'cache' && argsOf(c).includes('clean'),
    what: 'npm install keeps its cache',
    fix: 'add `&& npm cache clean --force` to the same RUN',
  },
];

export function cacheFindings(run: DockerfileInstruction, id: string): Finding[] {
  const commands = splitCommands(run.args);
  return KINDS.flatMap((kind) => {
    const creating = commands.map((c, index) => ({ c, index })).filter(({ c }) => kind.creates(c) && !kind.avoids?.(c));
    if (creating.length === 0) return [];
    const last = creating[creating.length - 1].index;
    if (commands.slice(last + 1).some(kind.cleans)) return [];
    return [{ rule: id, line: run.line, instructionLine: run.line, message: `${kind.what} in this layer`, fix: kind.fix }];
  });
}

export const cleanPackageCache: LintRule = {
  id: 'clean-package-cache',
  description:
    'apt lists and package caches are cleaned in the RUN that created them (apt-get → rm -rf /var/lib/apt/lists/*, conda/mamba → clean, pip → --no-cache-dir, npm → npm cache clean).',
  check({ dockerfile }) {
    return dockerfile.instructions.filter((i) => i.keyword === 'RUN').flatMap((run) => cacheFindings(run, 'clean-package-cache'));
  },
};
