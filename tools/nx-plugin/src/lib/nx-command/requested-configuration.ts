import { readFileSync } from 'node:fs';
import type { ExecutorContext } from '@nx/devkit';
import { didYouMean } from '../did-you-mean';
import { BuildConfigurationError } from '../errors';

/** Whether `args` (a process's argv) run the Nx CLI. */
export function isNxCommand(args: string[]): boolean {
  return args.slice(0, 3).some((arg) => /(^|\/)nx(\.js)?$/.test(arg));
}

/**
 * The arguments of the Nx command that forked this task or batch; none where
 * /proc cannot tell or the parent is no Nx command (a test runner's `-c` is not Nx's).
 */
export function nxCommandArgs(): string[] {
  try {
    const args = readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return isNxCommand(args) ? args : [];
  } catch {
    return [];
  }
}

/** The configuration an Nx command line asks for (`-c x`, `--configuration=x`, `run project:target:x`), if any. */
export function requestedConfiguration(args: string[]): string | undefined {
  let requested: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    const inline = /^(?:-c|--configuration)=(.*)$/.exec(arg);
    if (inline) requested = inline[1];
    else if ((arg === '-c' || arg === '--configuration') && args[i + 1] !== undefined) requested = args[++i];
    else if (arg === 'run' && /^[^-][^:]*:[^:]+:[^:]+$/.test(args[i + 1] ?? '')) requested = args[i + 1].split(':')[2];
  }
  return requested;
}

/** Every configuration name some target of the workspace defines. */
export function workspaceConfigurations(context: Pick<ExecutorContext, 'projectsConfigurations'>): string[] {
  const names = new Set<string>();
  for (const project of Object.values(context.projectsConfigurations?.projects ?? {})) {
    for (const target of Object.values(project.targets ?? {})) for (const name of Object.keys(target.configurations ?? {})) names.add(name);
  }
  return [...names].sort();
}

/**
 * Nx runs a target without a configuration it does not define, as if none
 * were given: `-c plna` would run a real build instead of a plan. Refuse a
 * name no target of the workspace defines (a name another target defines,
 * like `-c plan` across build and test targets, is Nx's documented use).
 */
export function checkRequestedConfiguration(requested: string | undefined, known: string[]): void {
  if (requested === undefined || known.includes(requested)) return;
  throw new BuildConfigurationError(
    `-c ${requested}: no target of this workspace has a configuration "${requested}"${didYouMean(requested, known)}, and Nx would run without one: ${known.length ? `use ${known.map((name) => `-c ${name}`).join(' or ')}, or leave -c out` : 'leave -c out'}`,
  );
}
