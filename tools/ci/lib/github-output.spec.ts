import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStepOutputs, parseStepOutputs, writeStepOutputs, writeStepSummary } from './github-output';

describe('step outputs', () => {
  it('writes each value between delimiters, as $GITHUB_OUTPUT expects', () => {
    expect(formatStepOutputs({ 'level-0': '[{"task":"a:build-cpu"}]', empty: '' }, 'EOF1')).toBe(
      'level-0<<EOF1\n[{"task":"a:build-cpu"}]\nEOF1\nempty<<EOF1\n\nEOF1\n',
    );
  });

  it('round-trips through the parser, multi-line values included', () => {
    const values = { a: 'one', b: 'two\nlines', c: '' };
    expect(parseStepOutputs(formatStepOutputs(values))).toEqual(values);
    expect(parseStepOutputs('x=1\ny=a=b\n')).toEqual({ x: '1', y: 'a=b' });
  });

  it('refuses names GitHub cannot address and values that would end the block', () => {
    expect(() => formatStepOutputs({ 'bad name': 'x' })).toThrow(/not a valid step output name/);
    expect(() => formatStepOutputs({ a: 'x\nEOF1\ny' }, 'EOF1')).toThrow(/contains the delimiter/);
  });

  it('appends to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY when they are set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kf-ci-output-'));
    try {
      const env = { GITHUB_OUTPUT: join(dir, 'out'), GITHUB_STEP_SUMMARY: join(dir, 'summary') };
      writeFileSync(env.GITHUB_OUTPUT, 'before=1\n');
      writeStepOutputs({ after: '2' }, env);
      writeStepSummary('## hello\n\n', env);
      expect(parseStepOutputs(readFileSync(env.GITHUB_OUTPUT, 'utf8'))).toEqual({ before: '1', after: '2' });
      expect(readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8')).toBe('## hello\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
