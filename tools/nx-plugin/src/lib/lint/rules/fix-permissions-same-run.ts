import type { LintRule } from '../types';
import { CONDA_DIR_PATH, NB_HOME_PATH, argsOf, isNotebookPath, programOf, splitCommands, type ShellCommand } from '../shell';
import { isCondaChange, isJupyterExtensionInstall, isNpmInstall, isPipInstall } from './package-managers';

const WRITERS = new Set(['mkdir', 'cp', 'mv', 'touch', 'ln', 'tee', 'install', 'rsync', 'tar', 'unzip', 'git', 'curl', 'wget', 'sed', 'chmod', 'chown', 'rm']);

/** Which notebook paths a command installs into: package installs touch both, a write touches the path it names. */
export interface NotebookInstall {
  what: string;
  conda: boolean;
  home: boolean;
}

/** What in this command installs into $CONDA_DIR or /home/$NB_USER, or null. */
export function notebookInstall(command: ShellCommand): NotebookInstall | null {
  const both = (what: string) => ({ what, conda: true, home: true });
  if (isPipInstall(command)) return both('pip install');
  if (isCondaChange(command)) return both(`${programOf(command)} ${argsOf(command).find((w) => !w.startsWith('-'))}`);
  if (isNpmInstall(command)) return both('npm install');
  if (isJupyterExtensionInstall(command)) return both('jupyter labextension');
  const program = programOf(command);
  const targets = [...command.redirects, ...(WRITERS.has(program) ? argsOf(command) : [])].filter(isNotebookPath);
  if (targets.length === 0) return null;
  return {
    what: `${command.redirects.includes(targets[0]) ? 'a write to' : program} ${targets[0]}`,
    conda: targets.some((t) => CONDA_DIR_PATH.test(t)),
    home: targets.some((t) => NB_HOME_PATH.test(t)),
  };
}

const ID = 'fix-permissions-same-run';

export const fixPermissionsSameRun: LintRule = {
  id: ID,
  description: 'A RUN that installs into $CONDA_DIR or /home/$NB_USER ends with fix-permissions of them in the same RUN (package installs: both).',
  check({ dockerfile }) {
    return dockerfile.instructions
      .filter((i) => i.keyword === 'RUN')
      .flatMap((run) => {
        const commands = splitCommands(run.args);
        let lastInstall = -1;
        let what = '';
        let needConda = false;
        let needHome = false;
        commands.forEach((command, index) => {
          const found = programOf(command) === 'fix-permissions' ? null : notebookInstall(command);
          if (found) {
            lastInstall = index;
            what = what || found.what;
            needConda ||= found.conda;
            needHome ||= found.home;
          }
        });
        if (lastInstall < 0) return [];
        const after = commands.slice(lastInstall + 1).filter((c) => programOf(c) === 'fix-permissions');
        const conda = !needConda || after.some((c) => argsOf(c).some((w) => CONDA_DIR_PATH.test(w)));
        const home = !needHome || after.some((c) => argsOf(c).some((w) => NB_HOME_PATH.test(w)));
        if (conda && home) return [];
        const missing = [conda ? null : '"${CONDA_DIR}"', home ? null : '"/home/${NB_USER}"'].filter(Boolean).join(' and ');
        const fixCommand = [needConda ? 'fix-permissions "${CONDA_DIR}"' : null, needHome ? 'fix-permissions "/home/${NB_USER}"' : null].filter(Boolean).join(' && ');
        return [
          {
            rule: ID,
            line: run.line,
            instructionLine: run.line,
            message: `RUN installs into $CONDA_DIR or /home/$NB_USER (${what}) but does not end with fix-permissions of ${missing}`,
            fix: `end the same RUN with \`&& ${fixCommand}\` (a later RUN would copy every file into a new layer)`,
          },
        ];
      });
  },
};
