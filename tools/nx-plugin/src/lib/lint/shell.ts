/** One simple command of a RUN's shell script. */
export interface ShellCommand {
  /** Words with quotes removed; leading `VAR=value`, `sudo`, `env` and shell keywords dropped. */
  words: string[];
  /** Targets of `>` / `>>` redirections. */
  redirects: string[];
  /** The operator that follows it (`&&`, `||`, `;`, `|`, `&`) or '' at the end. */
  next: string;
}

const PREFIXES = new Set(['sudo', 'env', 'exec', 'time', 'nohup', 'command', 'if', 'then', 'else', 'elif', 'do', 'while', 'until', '!', '{', '(']);

/**
 * Splits a shell script (a RUN's arguments, continuations already joined)
 * into simple commands. Quotes are honoured; subshells, functions and
 * `sh -c` strings are not descended into. Enough to see which programs a
 * RUN calls and in which order.
 */
export function splitCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let redirects: string[] = [];
  let word = '';
  let inWord = false;
  let redirectNext = false;
  const endWord = () => {
    if (!inWord) return;
    if (redirectNext) redirects.push(word);
    else words.push(word);
    redirectNext = false;
    word = '';
    inWord = false;
  };
  const endCommand = (operator: string) => {
    endWord();
    const dropped = dropPrefixes(words);
    if (dropped.length || redirects.length) commands.push({ words: dropped, redirects, next: operator });
    else if (commands.length && operator) commands[commands.length - 1].next = operator;
    words = [];
    redirects = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    const two = script.slice(i, i + 2);
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      word += script.slice(i + 1, end < 0 ? undefined : end);
      inWord = true;
      i = end < 0 ? script.length : end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < script.length && script[j] !== '"'; j++) {
        if (script[j] === '\\' && j + 1 < script.length) j++;
        word += script[j];
      }
      inWord = true;
      i = j;
    } else if (c === '\\' && i + 1 < script.length) {
      word += script[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      endWord();
    } else if (two === '&&' || two === '||') {
      endCommand(two);
      i++;
    } else if (c === ';' || c === '|' || c === '&' || c === '\n') {
      endCommand(c === '\n' ? ';' : c);
    } else if (c === '>' || (c === '<' && two !== '<<')) {
      // `2>`, `>>`, `&>`: a descriptor glued to the operator is not a word.
      if (/^\d+$/.test(word)) {
        word = '';
        inWord = false;
      }
      endWord();
      if (script[i + 1] === '>' || script[i + 1] === '&') i++;
      redirectNext = c === '>';
      if (c === '<') redirectNext = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand('');
  return commands;
}

function dropPrefixes(words: string[]): string[] {
  let start = 0;
  while (start < words.length && (PREFIXES.has(words[start]) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start]))) start++;
  return words.slice(start);
}

/** The program a command runs (`python -m pip` counts as `pip`). */
export function programOf(command: ShellCommand): string {
  const [first, second, third] = command.words;
  if (first && /^python[0-9.]*$/.test(first) && second === '-m' && third) return third;
  return (first ?? '').split('/').pop() ?? '';
}

/** The words after the program (after `-m module` for `python -m`). */
export function argsOf(command: ShellCommand): string[] {
  const [first, second] = command.words;
  if (first && /^python[0-9.]*$/.test(first) && second === '-m') return command.words.slice(3);
  return command.words.slice(1);
}

/** The first non-option argument (the subcommand of pip, conda, apt-get, npm, ...). */
export function subcommandOf(command: ShellCommand): string | undefined {
  return argsOf(command).find((word) => !word.startsWith('-'));
}

/** `$CONDA_DIR`, `${CONDA_DIR}` or the docker-stacks default /opt/conda. */
export const CONDA_DIR_PATH = /(\$\{?CONDA_DIR\}?|^\/opt\/conda)(\/|$)/;
/** `/home/$NB_USER`, `/home/${NB_USER}` or /home/jovyan. */
export const NB_HOME_PATH = /^\/home\/(\$\{?NB_USER\}?|jovyan)(\/|$)/;

export function isNotebookPath(word: string): boolean {
  return CONDA_DIR_PATH.test(word) || NB_HOME_PATH.test(word);
}
