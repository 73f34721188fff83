import { argsOf, programOf, subcommandOf, type ShellCommand } from '../shell';

const CONDA = new Set(['conda', 'mamba', 'micromamba']);
const CONDA_CHANGES = new Set(['install', 'create', 'update', 'upgrade', 'remove', 'uninstall', 'env']);
const PIP = /^pip[0-9.]*$/;

export function isPipInstall(command: ShellCommand): boolean {
  return PIP.test(programOf(command)) && subcommandOf(command) === 'install';
}

export function isCondaChange(command: ShellCommand): boolean {
  return CONDA.has(programOf(command)) && CONDA_CHANGES.has(subcommandOf(command) ?? '');
}

export function isCondaClean(command: ShellCommand): boolean {
  return CONDA.has(programOf(command)) && subcommandOf(command) === 'clean';
}

export function isNpmInstall(command: ShellCommand): boolean {
  return programOf(command) === 'npm' && ['install', 'i', 'ci', 'add'].includes(subcommandOf(command) ?? '');
}

export function isJupyterExtensionInstall(command: ShellCommand): boolean {
  if (programOf(command) !== 'jupyter') return false;
  const args = argsOf(command).filter((word) => !word.startsWith('-'));
  return (args[0] === 'labextension' && ['install', 'develop', 'link'].includes(args[1] ?? '')) || (args[0] === 'lab' && args[1] === 'build');
}

export function isAptInstall(command: ShellCommand): boolean {
  return ['apt-get', 'apt'].includes(programOf(command)) && ['install', 'update', 'upgrade', 'dist-upgrade'].includes(subcommandOf(command) ?? '');
}
