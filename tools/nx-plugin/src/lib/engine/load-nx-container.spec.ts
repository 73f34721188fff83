import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEVKIT_NAMES_ANSWERED } from './load-nx-container';

const workspaceRoot = join(__dirname, '../../../../..');

/** Runs `body` in a fresh Node process (the module cache is what is checked), with the loader imported as `load`. */
function inFreshProcess(body: string): Record<string, unknown> {
  const script = `
    const { loadNxContainerRun: load } = require(${JSON.stringify(join(__dirname, 'load-nx-container.ts'))});
    // Node lists modules it has only parsed for their export names too: loaded means run.
    const loaded = () => Object.values(require.cache).filter((module) => module.loaded).map((module) => module.filename);
    ${body}`;
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: workspaceRoot, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('loadNxContainerRun', () => {
  it("gives nx-container's build executor without loading the devkit's index (most of Nx)", () => {
    const result = inFreshProcess(`
      const run = load(process.cwd());
      console.log(JSON.stringify({
        run: typeof run,
        devkitExports: loaded().some((file) => /nx[\\\\/]dist[\\\\/]src[\\\\/]devkit-exports/.test(file)),
      }));`);
    expect(result).toEqual({ run: 'function', devkitExports: false });
  });

  it("answers the devkit's other names from the real devkit, loaded on first use", () => {
    const result = inFreshProcess(`
      load(process.cwd());
      const devkit = require(require.resolve('@nx/devkit', { paths: [process.cwd()] }));
      const names = devkit.names('my-image');
      const joined = devkit.joinPathFragments('a', 'b');
      console.log(JSON.stringify({ constantName: names.constantName, joined, logger: typeof devkit.logger.info }));`);
    expect(result).toEqual({ constantName: 'MY_IMAGE', joined: 'a/b', logger: 'function' });
  });

  it("answers every name nx-container's ES modules import from the devkit (an upgrade that imports another fails here)", () => {
    const packagesDir = dirname(dirname(require.resolve('@nx-tools/nx-container/package.json', { paths: [workspaceRoot] })));
    const imported = new Set<string>();
    const scan = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (/\.m?js$/.test(entry.name)) {
          for (const [, list] of readFileSync(path, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]@nx\/devkit['"]/g)) {
            for (const name of list.split(',')) if (name.trim()) imported.add(name.trim().split(/\s+as\s+/)[0]);
          }
        }
      }
    };
    for (const name of readdirSync(packagesDir)) scan(join(packagesDir, name, 'dist'));
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((name) => !(DEVKIT_NAMES_ANSWERED as readonly string[]).includes(name))).toEqual([]);
  });
});
