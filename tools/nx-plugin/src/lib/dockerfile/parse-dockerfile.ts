import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';

/** One instruction, flattened to what the lint rules and the generated-Dockerfile checks read. */
export interface DockerfileInstruction {
  keyword: string;
  /** 1-based first line. */
  line: number;
  /** 1-based last line (continuations included). */
  endLine: number;
  /**
   * The arguments as the builder reads them: line continuations joined and
   * comment lines inside the continuation dropped.
   */
  args: string;
  node: Instruction;
}

export interface CommentLine {
  /** 1-based line. */
  line: number;
  /** Text after `#`, trimmed. */
  text: string;
}

export interface ParsedDockerfile {
  text: string;
  ast: Dockerfile;
  instructions: DockerfileInstruction[];
  /** Comment lines outside instructions (comments inside a RUN continuation are not listed). */
  comments: CommentLine[];
}

/** Parses Dockerfile text with dockerfile-ast and flattens what its readers need. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const ast = DockerfileParser.parse(text);
  const escape = ast.getEscapeCharacter();
  const instructions: DockerfileInstruction[] = ast.getInstructions().map((node) => ({
    keyword: node.getKeyword().toUpperCase(),
    line: node.getRange().start.line + 1,
    endLine: node.getRange().end.line + 1,
    args: joinContinuations(node.getRawArgumentsContent() ?? '', escape),
    node,
  }));
  const inside = (line: number) => instructions.some((i) => line > i.line && line <= i.endLine);
  const comments = ast
    .getComments()
    .map((comment) => ({ line: comment.getRange().start.line + 1, text: comment.getContent().trim() }))
    .filter((comment) => !inside(comment.line));
  return { text, ast, instructions, comments };
}

/** Joins escaped line breaks and drops comment lines inside a continuation, as the builder does. */
export function joinContinuations(raw: string, escape = '\\'): string {
  const lines = raw.split(/\r?\n/);
  const kept: string[] = [];
  lines.forEach((line, index) => {
    if (index > 0 && line.trim().startsWith('#')) return;
    const trimmedEnd = line.replace(/\s+$/, '');
    kept.push(trimmedEnd.endsWith(escape) ? trimmedEnd.slice(0, -escape.length) : line);
  });
  return kept.join(' ').replace(/\s+/g, ' ').trim();
}

/** The instruction that contains a 1-based line, if any. */
export function instructionAt(dockerfile: ParsedDockerfile, line: number): DockerfileInstruction | undefined {
  return dockerfile.instructions.find((i) => line >= i.line && line <= i.endLine);
}
