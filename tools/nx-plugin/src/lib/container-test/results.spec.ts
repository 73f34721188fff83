import type { CheckResult } from './check-definitions';
import { formatContainerLog, formatFailure, formatPass, formatSummary } from './results';

const IMAGE = 'machine-learning-notebook-cpu:content-abc';

/** A failed check declared in base's checks.json. */
const baseCheckFailed = (result: Pick<CheckResult, 'id' | 'label' | 'detail' | 'fix'>): CheckResult => ({
  ...result,
  ok: false,
  declaredBy: 'base',
  file: 'images/base/tests/checks.json',
});

describe('formatFailure', () => {
  it('is one line naming the image, the check, its origin, what happened and the fix', () => {
    const line = formatFailure(
      IMAGE,
      'machine-learning',
      baseCheckFailed({ id: 'command:test -e /opt/x', label: 'command "test -e /opt/x"', detail: 'exited 1: no output', fix: 'it is inherited from base: ...' }),
    );
    expect(line).toBe(
      '✗ machine-learning-notebook-cpu:content-abc: command "test -e /opt/x" [inherited from base, images/base/tests/checks.json]: exited 1: no output. Fix: it is inherited from base: ...',
    );
  });

  it("shows an image's own checks.json, and folds line breaks", () => {
    const line = formatFailure(
      IMAGE,
      'base',
      baseCheckFailed({ id: 'python:kfp', label: 'python import kfp', detail: 'exited 1:\nTraceback\n  ModuleNotFoundError', fix: 'f' }),
    );
    expect(line).not.toContain('\n');
    expect(line).toContain('python import kfp [images/base/tests/checks.json]: exited 1: | Traceback | ModuleNotFoundError. Fix: f');
  });

  it('has no origin for built-in checks', () => {
    expect(formatFailure(IMAGE, 'base', { id: 'user', label: 'runs as uid 1000, not root', ok: false, detail: 'runs as root (uid 0)', fix: 'x' })).toBe(
      `✗ ${IMAGE}: runs as uid 1000, not root: runs as root (uid 0). Fix: x`,
    );
  });
});

describe('formatPass and formatSummary', () => {
  it('report passes with their time, and count failures', () => {
    expect(formatPass('base', { id: 'user', label: 'runs as uid 1000, not root', ok: true, durationMs: 123 })).toBe('✓ runs as uid 1000, not root (0.1s)');
    const results = [
      { id: 'a', label: 'a', ok: true },
      { id: 'b', label: 'b', ok: false },
    ];
    expect(formatSummary('base:test-cpu', IMAGE, results)).toBe(`base:test-cpu: 1 of 2 checks failed on ${IMAGE}`);
    expect(formatSummary('base:test-cpu', IMAGE, results.slice(0, 1))).toBe(`base:test-cpu: all 1 checks passed on ${IMAGE}`);
  });
});

describe('formatContainerLog', () => {
  it('indents the log under a header, keeping the last lines', () => {
    expect(formatContainerLog('c', 'one\ntwo\n')).toEqual(['  container log of c:', '  | one', '  | two']);
    expect(formatContainerLog('c', 'a\nb\nc', 2)).toEqual(['  container log of c (last 2 of 3 lines):', '  | b', '  | c']);
    expect(formatContainerLog('c', '')).toEqual(['  container log of c: (empty)']);
  });
});
