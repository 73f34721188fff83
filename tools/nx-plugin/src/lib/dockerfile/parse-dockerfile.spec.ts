import { instructionAt, joinContinuations, parseDockerfile } from './parse-dockerfile';

describe('parseDockerfile', () => {
  it('joins continuations and drops comment lines inside them, as the builder does', () => {
    const { instructions, comments } = parseDockerfile('# c\nrun a && \\\n#  b && \\\n    c\nUSER root\n');
    expect(instructions.map(({ keyword, line, endLine, args }) => ({ keyword, line, endLine, args }))).toEqual([
      { keyword: 'RUN', line: 2, endLine: 4, args: 'a && c' },
      { keyword: 'USER', line: 5, endLine: 5, args: 'root' },
    ]);
    expect(comments).toEqual([{ line: 1, text: 'c' }]);
  });

  it('honours the escape directive and keeps the dockerfile-ast node', () => {
    const dockerfile = parseDockerfile('# escape=`\nRUN a `\n  b\n');
    expect(dockerfile.instructions[0].args).toBe('a b');
    expect(dockerfile.instructions[0].node.getKeyword()).toBe('RUN');
  });

  it('finds the instruction a line belongs to', () => {
    const dockerfile = parseDockerfile('FROM x\nRUN a \\\n  b\n');
    expect(instructionAt(dockerfile, 3)?.keyword).toBe('RUN');
    expect(instructionAt(dockerfile, 4)).toBeUndefined();
  });
});

describe('joinContinuations', () => {
  it('collapses whitespace and keeps an instruction without arguments empty', () => {
    expect(joinContinuations('a   b \\\n\tc')).toBe('a b c');
    expect(joinContinuations('')).toBe('');
  });
});
