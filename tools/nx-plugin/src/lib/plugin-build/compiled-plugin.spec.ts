import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { assertCompiledPluginFresh, COMPILED_FROM_FILE, sourceDigests, sourcesChangedSinceCompile } from './compiled-plugin';

describe('compiled plugin freshness', () => {
  let workspace: string;
  const pkg = () => join(workspace, 'node_modules', 'plugin');
  const write = (path: string, content: string) => {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), content);
  };
  const compile = () => write(`node_modules/plugin/${COMPILED_FROM_FILE}`, JSON.stringify({ sources: 'tools/plugin/src', files: sourceDigests(join(workspace, 'tools/plugin/src')) }));
  const freshnessError = () => {
    try {
      assertCompiledPluginFresh(workspace, join(pkg(), 'dist', 'executors', 'build'));
    } catch (caught) {
      return caught as Error;
    }
    return null;
  };
  beforeEach(() => {
    workspace = mkdtempSync(join(tmpdir(), 'compiled-plugin-'));
    write('tools/plugin/src/index.ts', 'export {};');
    write('tools/plugin/src/lib/a/a.ts', 'a');
    write('tools/plugin/src/lib/a/a.spec.ts', 'spec');
    write('tools/plugin/src/lib/testing/helper.ts', 'helper');
    write('tools/plugin/src/generators/image/files/Dockerfile__tmpl__', 'FROM x');
    write('node_modules/plugin/dist/executors/build/executor.js', '');
    compile();
  });
  afterEach(() => rmSync(workspace, { recursive: true, force: true }));

  it('is fresh when only specs and test helpers changed after the compile', () => {
    write('tools/plugin/src/lib/a/a.spec.ts', 'changed spec');
    write('tools/plugin/src/lib/testing/helper.ts', 'changed helper');
    expect(freshnessError()).toBeNull();
  });

  it('compares contents, not file times: rewriting identical files (a checkout) keeps it fresh', () => {
    write('tools/plugin/src/lib/a/a.ts', 'a');
    utimesSync(join(workspace, 'tools/plugin/src/lib/a/a.ts'), new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    expect(freshnessError()).toBeNull();
  });

  it('names a changed, added or removed source or template, and tells how to rebuild', () => {
    write('tools/plugin/src/lib/a/a.ts', 'a changed');
    write('tools/plugin/src/lib/b.ts', 'new');
    rmSync(join(workspace, 'tools/plugin/src/generators/image/files/Dockerfile__tmpl__'));
    const error = freshnessError();
    expect(error).toBeInstanceOf(BuildConfigurationError);
    expect(error?.message).toBe(
      'the compiled workspace plugin (node_modules/plugin) was compiled from other sources than tools/plugin/src (generators/image/files/Dockerfile__tmpl__, lib/a/a.ts, lib/b.ts): run npm run build:plugin',
    );
  });

  it('counts every source as changed when nothing was recorded', () => {
    expect(sourcesChangedSinceCompile(null, sourceDigests(join(workspace, 'tools/plugin/src')))).toEqual([
      'generators/image/files/Dockerfile__tmpl__',
      'index.ts',
      'lib/a/a.ts',
    ]);
  });

  it('checks nothing when running from the sources', () => {
    write('tools/plugin/src/lib/a/a.ts', 'a changed');
    expect(() => assertCompiledPluginFresh(workspace, join(workspace, 'tools', 'plugin', 'src', 'executors', 'build'))).not.toThrow();
  });
});
