/** One Dockerfile instruction with its continuation lines joined. */
export interface Instruction {
  /** 1-based line where the instruction starts. */
  line: number;
  keyword: string;
  /** The arguments after the keyword, whitespace collapsed. */
  args: string;
}

/**
 * Splits Dockerfile text into instructions the way the builder reads them:
 * backslash continuations are joined, and comment lines inside a
 * continuation are dropped (gpu-jupyter's fragments comment out lines of a
 * RUN that way). Enough for the checks here; no heredocs or escape directive.
 */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let current: { line: number; parts: string[] } | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !current)) return;
    const continues = trimmed.endsWith('\\');
    const part = continues ? trimmed.slice(0, -1) : trimmed;
    if (!current) current = { line: index + 1, parts: [] };
    current.parts.push(part);
    if (continues) return;
    const joined = current.parts.join(' ').replace(/\s+/g, ' ').trim();
    const [keyword, ...rest] = joined.split(' ');
    if (keyword) instructions.push({ line: current.line, keyword: keyword.toUpperCase(), args: rest.join(' ') });
    current = null;
  });
  return instructions;
}

/** Splits arguments on whitespace, keeping quoted strings together and unquoting them. */
export function splitArguments(args: string): string[] {
  return (args.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((token) => token.replace(/^(["'])(.*)\1$/, '$2'));
}

/** The image a FROM names, without --platform or an AS alias. */
export function fromImage(instruction: Instruction): string {
  return splitArguments(instruction.args).find((token) => !token.startsWith('--')) ?? '';
}

/**
 * The build-context paths a COPY or ADD reads. Sources with variables,
 * wildcards or URLs, and COPY --from (another stage or image), are skipped:
 * they cannot be checked against the context's files.
 */
export function contextSources(instruction: Instruction): string[] {
  if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') return [];
  let tokens: string[];
  if (instruction.args.trim().startsWith('[')) {
    try {
      tokens = JSON.parse(instruction.args) as string[];
    } catch {
      return [];
    }
  } else {
    const all = splitArguments(instruction.args);
    if (all.some((token) => token.startsWith('--from'))) return [];
    tokens = all.filter((token) => !token.startsWith('--'));
  }
  return tokens.slice(0, -1).filter((source) => !/[$*?[]|:\/\//.test(source));
}
