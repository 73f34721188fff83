import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { assertCompiledPluginFresh, BUILT_AT_FILE, sourcesNewerThanCompile } from './compiled-plugin';

describe('compiled plugin freshness', () => {
  let root: string;
  const at = (path: string, seconds: number) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), 'x');
    utimesSync(join(root, path), seconds, seconds);
  };
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'compiled-plugin-'));
    at('src/index.ts', 1000);
    at('src/lib/a/a.ts', 1000);
    at('src/lib/a/a.spec.ts', 3000);
    at('src/lib/testing/helper.ts', 3000);
    at('src/generators/image/files/Dockerfile__tmpl__', 1000);
    at(`dist/${BUILT_AT_FILE}`, 2000);
    at('dist/executors/build/executor.js', 2000);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is fresh when only specs and test helpers changed after the compile', () => {
    expect(sourcesNewerThanCompile(root)).toEqual([]);
    expect(() => assertCompiledPluginFresh(join(root, 'dist', 'executors', 'build'))).not.toThrow();
  });

  it('names a changed source or template, and tells how to rebuild', () => {
    at('src/lib/a/a.ts', 4000);
    at('src/generators/image/files/Dockerfile__tmpl__', 5000);
    expect(sourcesNewerThanCompile(root)).toEqual(['generators/image/files/Dockerfile__tmpl__', 'lib/a/a.ts']);
    const error = (() => {
      try {
        assertCompiledPluginFresh(join(root, 'dist', 'executors', 'build'));
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(BuildConfigurationError);
    expect((error as Error).message).toContain('lib/a/a.ts');
    expect((error as Error).message).toContain('npm run build:plugin');
  });

  it('counts every source as changed when nothing was compiled', () => {
    rmSync(join(root, 'dist'), { recursive: true });
    expect(sourcesNewerThanCompile(root).sort()).toEqual(['generators/image/files/Dockerfile__tmpl__', 'index.ts', 'lib/a/a.ts']);
  });

  it('checks nothing when running from the sources', () => {
    at('src/lib/a/a.ts', 4000);
    expect(() => assertCompiledPluginFresh(join(root, 'src', 'executors', 'build'))).not.toThrow();
  });
});
