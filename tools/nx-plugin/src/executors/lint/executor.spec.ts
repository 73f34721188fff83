import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { captureLogger } from '../../lib/testing/executor-context';
import lintExecutor from './executor';
import { withTempDir } from '../../lib/testing/temp-dir';

const CLEAN = 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nARG IMAGE_REBUILD_DATE\nLABEL io.kubeflow-images.rebuild-date="${IMAGE_REBUILD_DATE}"\nUSER root\nCOPY start.sh /usr/local/bin/\nUSER ${NB_UID}\n';

describe('lint executor', () => {
  let root: string;
  let log: ReturnType<typeof captureLogger>;
  withTempDir('kf-lint-executor-', (dir) => (root = dir));

  beforeEach(() => {
    log = captureLogger();
    mkdirSync(join(root, 'images/demo'), { recursive: true });
    writeFileSync(join(root, 'images/demo/start.sh'), '#!/bin/sh\n');
  });
  afterEach(() => jest.restoreAllMocks());

  const context = (): ExecutorContext =>
    ({
      root,
      cwd: root,
      isVerbose: false,
      projectName: 'demo',
      projectsConfigurations: { version: 2, projects: { demo: { root: 'images/demo' } } },
    }) as unknown as ExecutorContext;

  it('passes a Dockerfile that follows the house rules', async () => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN);
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: true });
    expect(log.errors()).toEqual([]);
    expect(log.info().join('\n')).toContain('images/demo/Dockerfile');
  });

  it('fails with the rule, file and line of each finding', async () => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN.replace('start.sh', 'missing.sh'));
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(log.errors().join('\n')).toMatch(/images\/demo\/Dockerfile:6 .*copy-source-exists/);
  });

  it('refuses an unknown rule id in disabledRules', async () => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN);
    await expect(lintExecutor({ disabledRules: ['no-such-rule'] }, context())).resolves.toEqual({ success: false });
    expect(log.errors().join('\n')).toContain('unknown rule no-such-rule');
  });

  it('succeeds on a missing generated Dockerfile only when allowed, with the hint', async () => {
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(log.errors().join('\n')).toContain('images/demo/Dockerfile not found');
    await expect(lintExecutor({ allowMissing: true, missingHint: 'generate it first' }, context())).resolves.toEqual({ success: true });
    expect(log.info().join('\n')).toContain('generate it first');
  });

  it.each([
    ['empty', '', /^demo:lint: images\/demo\/tests\/checks\.json is not valid JSON \(Unexpected end of JSON input\): write \{/],
    ['with an unknown key', '{"pythonImport": ["numpy"]}', /^demo:lint: images\/demo\/tests\/checks\.json: unknown key\(s\) pythonImport: the keys are pythonImports/],
  ])('fails in one line on a checks.json that is %s, before any test needs it', async (_name, text, line) => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN);
    mkdirSync(join(root, 'images/demo/tests'));
    writeFileSync(join(root, 'images/demo/tests/checks.json'), text);
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(log.errors()).toHaveLength(1);
    expect(log.errors()[0]).toMatch(line);
  });

  it('reports an unreadable Dockerfile in one line instead of throwing', async () => {
    mkdirSync(join(root, 'images/demo/Dockerfile'));
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(log.errors()).toHaveLength(1);
    expect(log.errors().join('\n')).toMatch(/^demo:lint: EISDIR/);
  });
});
