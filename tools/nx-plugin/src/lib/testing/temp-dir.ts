import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Gives each spec case of the surrounding describe a fresh temporary directory (handed to `use`), removed after the case. */
export function withTempDir(prefix: string, use: (dir: string) => void): void {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    use(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
}
