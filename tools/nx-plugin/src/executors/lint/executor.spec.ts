import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import lintExecutor from './executor';

const CLEAN = 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nUSER root\nCOPY start.sh /usr/local/bin/\nUSER ${NB_UID}\n';

describe('lint executor', () => {
  let root: string;
  let info: jest.SpyInstance;
  let errors: jest.SpyInstance;

  beforeEach(() => {
    info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    root = mkdtempSync(join(tmpdir(), 'kf-lint-executor-'));
    mkdirSync(join(root, 'images/demo'), { recursive: true });
    writeFileSync(join(root, 'images/demo/start.sh'), '#!/bin/sh\n');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  const context = (): ExecutorContext =>
    ({
      root,
      cwd: root,
      isVerbose: false,
      projectName: 'demo',
      projectsConfigurations: { version: 2, projects: { demo: { root: 'images/demo' } } },
    }) as unknown as ExecutorContext;
  const logged = (spy: jest.SpyInstance) => spy.mock.calls.map((call) => String(call[0])).join('\n');

  it('passes a Dockerfile that follows the house rules', async () => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN);
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: true });
    expect(errors).not.toHaveBeenCalled();
    expect(logged(info)).toContain('images/demo/Dockerfile');
  });

  it('fails with the rule, file and line of each finding', async () => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN.replace('start.sh', 'missing.sh'));
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(logged(errors)).toMatch(/images\/demo\/Dockerfile:4 .*copy-source-exists/);
  });

  it('refuses an unknown rule id in disabledRules', async () => {
    writeFileSync(join(root, 'images/demo/Dockerfile'), CLEAN);
    await expect(lintExecutor({ disabledRules: ['no-such-rule'] }, context())).resolves.toEqual({ success: false });
    expect(logged(errors)).toContain('unknown rule no-such-rule');
  });

  it('succeeds on a missing generated Dockerfile only when allowed, with the hint', async () => {
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(logged(errors)).toContain('images/demo/Dockerfile not found');
    await expect(lintExecutor({ allowMissing: true, missingHint: 'generate it first' }, context())).resolves.toEqual({ success: true });
    expect(logged(info)).toContain('generate it first');
  });

  it('reports an unreadable Dockerfile in one line instead of throwing', async () => {
    mkdirSync(join(root, 'images/demo/Dockerfile'));
    await expect(lintExecutor({}, context())).resolves.toEqual({ success: false });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(logged(errors)).toMatch(/^demo:lint: EISDIR/);
  });
});
