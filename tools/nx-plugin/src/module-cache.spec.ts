import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Third-party packages are loaded through their public entry points: a
 * plugin that rewrites Node's module cache or its loader breaks silently on
 * the next release of what it patches.
 */
const TOUCHES_MODULE_CACHE: RegExp[] = [
  /\brequire\s*\.\s*(cache|extensions)\b/,
  /\bModule\s*\.\s*_\w+/,
  /\bmodule\s*\.\s*constructor\b/,
  // Node's Module class itself (its read-only helpers, such as isBuiltin, are fine).
  /import\s+(\*\s+as\s+)?Module\b|\bnew\s+Module\s*\(/,
  /\bsyncBuiltinESMExports\b/,
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

describe('the plugin sources', () => {
  it("never touch Node's module cache or loader", () => {
    const files = sources(__dirname).filter((file) => file !== __filename);
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (TOUCHES_MODULE_CACHE.some((pattern) => pattern.test(line)) ? [`${relative(__dirname, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });
});
