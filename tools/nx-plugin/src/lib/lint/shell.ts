import { parse, type ParseEntry } from 'shell-quote';

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

const COMMAND_SEPARATORS = new Set(['&&', '||', ';', '|', '&', '|&', ';;']);
const OUTPUT_REDIRECTS = new Set(['>', '>>', '>&', '&>', '>|']);

/** Variables stay as written (`${CONDA_DIR}`): the rules match paths, not values. */
const keepVariable = (name: string) => `\${${name}}`;

/**
 * Splits a shell script (a RUN's arguments, continuations already joined)
 * into simple commands, with shell-quote's tokenizer. Subshells, functions and
 * `sh -c` strings are not descended into: the rules need which programs a RUN
 * calls and in which order, not a full parse.
 */
export function splitCommands(script: string): ShellCommand[] {
  // shell-quote reads a newline as a space; in a RUN it ends a command.
  const tokens = parse(script.replace(/\n/g, ' ; '), keepVariable) as ParseEntry[];
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let redirects: string[] = [];
  // Where the next word goes: a command word, an output redirect's target, or nowhere (an input redirect's source).
  let nextWord: 'word' | 'redirect' | 'input' = 'word';
  const endCommand = (operator: string) => {
    const dropped = dropPrefixes(words);
    if (dropped.length || redirects.length) commands.push({ words: dropped, redirects, next: operator });
    else if (commands.length && operator) commands[commands.length - 1].next = operator;
    words = [];
    redirects = [];
  };
  for (const token of tokens) {
    if (typeof token === 'string' || ('op' in token && token.op === 'glob')) {
      const word = typeof token === 'string' ? token : token.pattern;
      if (nextWord === 'word') words.push(word);
      else if (nextWord === 'redirect') redirects.push(word);
      nextWord = 'word';
    } else if (!('op' in token)) {
      continue; // a comment
    } else if (COMMAND_SEPARATORS.has(token.op)) {
      endCommand(token.op === '|&' ? '|' : token.op === ';;' ? ';' : token.op);
    } else if (OUTPUT_REDIRECTS.has(token.op) || token.op === '<') {
      // `2>`: a descriptor before the operator is not a word of the command.
      if (words.length && /^\d+$/.test(words[words.length - 1])) words.pop();
      nextWord = token.op === '<' ? 'input' : 'redirect';
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
