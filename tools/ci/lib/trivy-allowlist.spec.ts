import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALLOWLIST_FILE, allowlistProblems } from './trivy-allowlist';

const TODAY = '2026-01-10';
const entry = (fields: string) => `vulnerabilities:\n  - ${fields.trim().split('\n').join('\n    ')}\n`;
const GOOD = 'id: CVE-2024-12345\nstatement: Not reachable in notebooks; reviewed by @someone in #42.\nexpired_at: 2026-03-01';

describe('the trivy allowlist in the repository', () => {
  it('follows the review rules', () => {
    const today = new Date().toISOString().slice(0, 10);
    const text = readFileSync(join(__dirname, '..', '..', '..', ALLOWLIST_FILE), 'utf8');
    expect(allowlistProblems(text, today)).toEqual([]);
  });
});

describe('allowlistProblems', () => {
  it('accepts an empty list and a complete entry', () => {
    expect(allowlistProblems('vulnerabilities: []\n', TODAY)).toEqual([]);
    expect(allowlistProblems(entry(GOOD), TODAY)).toEqual([]);
    expect(allowlistProblems(entry(`${GOOD}\npaths: ["opt/conda/x"]\npurls: ["pkg:pypi/x@1.0"]`), TODAY)).toEqual([]);
  });

  it('requires a statement and a review date', () => {
    expect(allowlistProblems(entry('id: CVE-2024-12345'), TODAY)).toEqual([
      expect.stringMatching(/vulnerabilities\[0\] \(CVE-2024-12345\): "statement" must say why .* who reviewed it/),
      expect.stringMatching(/"expired_at" must be a date \(YYYY-MM-DD\) at most 180 days away/),
    ]);
  });

  it('refuses an exception that stands longer than 180 days', () => {
    expect(allowlistProblems(entry(GOOD.replace('2026-03-01', '2026-12-31')), TODAY)).toEqual([
      expect.stringMatching(/"expired_at" 2026-12-31 is more than 180 days away/),
    ]);
  });

  it('catches what trivy would silently ignore: typos in keys, a malformed id, other sections', () => {
    expect(allowlistProblems(entry(`${GOOD}\nexpires_at: 2026-02-01`), TODAY)).toEqual([
      expect.stringMatching(/unknown key\(s\) expires_at; trivy would ignore them/),
    ]);
    expect(allowlistProblems(entry(GOOD.replace('CVE-2024-12345', 'cve 2024')), TODAY)).toEqual([
      expect.stringMatching(/"id" must be the finding's id as trivy prints it/),
    ]);
    expect(allowlistProblems('vulnerabilities: []\nsecrets: []\n', TODAY)).toEqual([expect.stringMatching(/only "vulnerabilities" may be allowed.*remove secrets/)]);
  });

  it('refuses duplicates and a file that is not a list of entries', () => {
    expect(allowlistProblems(`vulnerabilities:\n  - ${GOOD.split('\n').join('\n    ')}\n  - ${GOOD.split('\n').join('\n    ')}\n`, TODAY)).toEqual([
      expect.stringMatching(/vulnerabilities\[1\] \(CVE-2024-12345\): listed twice/),
    ]);
    expect(allowlistProblems('', TODAY)).toEqual([expect.stringMatching(/must be a mapping with a "vulnerabilities" list/)]);
    expect(allowlistProblems('vulnerabilities: CVE-1\n', TODAY)).toEqual([expect.stringMatching(/"vulnerabilities" must be a list/)]);
    expect(allowlistProblems('vulnerabilities: [\n', TODAY)).toEqual([expect.stringMatching(/is not valid YAML/)]);
  });
});
