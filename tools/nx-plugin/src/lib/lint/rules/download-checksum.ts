import type { LintRule } from '../types';
import { argsOf, programOf, splitCommands, type ShellCommand } from '../shell';

const CHECKERS = /^(sha(1|224|256|384|512)sum|shasum|b2sum)$/;

function isChecksumCheck(command: ShellCommand): boolean {
  return CHECKERS.test(programOf(command)) && argsOf(command).some((w) => w === '-c' || w === '--check' || /^-[a-z]*c[a-z]*$/.test(w));
}

const ID = 'download-checksum';

export const downloadChecksum: LintRule = {
  id: ID,
  description: 'Every curl/wget download in a RUN is checked with sha256sum -c (or an equivalent *sum -c) in the same RUN.',
  check({ dockerfile }) {
    return dockerfile.instructions
      .filter((i) => i.keyword === 'RUN')
      .flatMap((run) => {
        const commands = splitCommands(run.args);
        return commands.flatMap((command, index) => {
          const program = programOf(command);
          if (program !== 'curl' && program !== 'wget') return [];
          const piped = command.next === '|';
          const checked = !piped && commands.slice(index + 1).some(isChecksumCheck);
          if (checked) return [];
          return [
            {
              rule: ID,
              line: run.line,
              instructionLine: run.line,
              message: piped
                ? `${program} pipes its download into ${programOf(commands[index + 1] ?? command)}, so it is never checked`
                : `${program} downloads a file that is not checked with sha256sum in the same RUN`,
              fix: `pin the version, download to a file, then \`echo "\${SHA256}  FILE" | sha256sum -c -\` before using it`,
            },
          ];
        });
      });
  },
};
