/**
 * The rules of the reviewed trivy allowlist (.trivyignore.yaml at the
 * workspace root, read by the nightly scan). Trivy itself accepts almost
 * anything and silently ignores unknown keys, so a typo would quietly stop an
 * exception from applying, or worse, an entry without an expiry would hide a
 * CRITICAL finding for ever. These checks keep every entry reviewable.
 */
import { parse } from 'yaml';

export const ALLOWLIST_FILE = '.trivyignore.yaml';
/** The longest an exception may stand before it must be reviewed again. */
export const MAX_EXPIRY_DAYS = 180;

const ENTRY_KEYS = new Set(['id', 'statement', 'expired_at', 'paths', 'purls']);
const ID = /^[A-Z][A-Z0-9]*-[A-Za-z0-9._:-]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface AllowlistEntry {
  id: string;
  statement: string;
  expired_at: string;
  paths?: string[];
  purls?: string[];
}

function isoDate(value: unknown): string | null {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
  if (typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return value;
  return null;
}

/**
 * Every problem of the allowlist text, each naming the entry and the fix
 * ([] when it is valid). `today` is YYYY-MM-DD (UTC).
 */
export function allowlistProblems(text: string, today: string, file = ALLOWLIST_FILE): string[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    return [`${file} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`];
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return [`${file} must be a mapping with a "vulnerabilities" list (use "vulnerabilities: []" when nothing is allowed)`];
  }
  const problems: string[] = [];
  const extraKeys = Object.keys(document).filter((key) => key !== 'vulnerabilities');
  if (extraKeys.length > 0) {
    problems.push(`${file}: only "vulnerabilities" may be allowed (the nightly scans vulnerabilities only); remove ${extraKeys.join(', ')}`);
  }
  const entries = (document as { vulnerabilities?: unknown }).vulnerabilities;
  if (!Array.isArray(entries)) {
    problems.push(`${file}: "vulnerabilities" must be a list (use "vulnerabilities: []" when nothing is allowed)`);
    return problems;
  }
  const todayMs = Date.parse(`${today}T00:00:00Z`);
  const seen = new Set<string>();
  entries.forEach((raw: unknown, index) => {
    const where = `${file}: vulnerabilities[${index}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`${where} must be a mapping with id, statement and expired_at`);
      return;
    }
    const entry = raw as Record<string, unknown>;
    const id = typeof entry.id === 'string' ? entry.id : '';
    const label = id ? `${where} (${id})` : where;
    const unknown = Object.keys(entry).filter((key) => !ENTRY_KEYS.has(key));
    if (unknown.length > 0) problems.push(`${label}: unknown key(s) ${unknown.join(', ')}; trivy would ignore them: use ${[...ENTRY_KEYS].join(', ')}`);
    if (!ID.test(id)) problems.push(`${label}: "id" must be the finding's id as trivy prints it (e.g. CVE-2024-12345 or GHSA-xxxx-xxxx-xxxx)`);
    if (typeof entry.statement !== 'string' || entry.statement.trim().length < 20) {
      problems.push(`${label}: "statement" must say why the finding is acceptable in these images and who reviewed it`);
    }
    const expiry = isoDate(entry.expired_at);
    if (!expiry) {
      problems.push(`${label}: "expired_at" must be a date (YYYY-MM-DD) at most ${MAX_EXPIRY_DAYS} days away, when the exception is reviewed again`);
    } else if (Date.parse(`${expiry}T00:00:00Z`) - todayMs > MAX_EXPIRY_DAYS * DAY_MS) {
      problems.push(`${label}: "expired_at" ${expiry} is more than ${MAX_EXPIRY_DAYS} days away: choose a review date no later than ${MAX_EXPIRY_DAYS} days from today`);
    }
    for (const key of ['paths', 'purls'] as const) {
      const value = entry[key];
      if (value !== undefined && (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || !item))) {
        problems.push(`${label}: "${key}" must be a list of strings`);
      }
    }
    const scope = `${id}|${JSON.stringify(entry.paths ?? [])}|${JSON.stringify(entry.purls ?? [])}`;
    if (id && seen.has(scope)) problems.push(`${label}: listed twice with the same scope: keep one entry`);
    seen.add(scope);
  });
  return problems;
}
