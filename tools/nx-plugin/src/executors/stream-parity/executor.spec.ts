import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { captureLogger } from '../../lib/testing/executor-context';
import { writeGenerationRecord } from '../../lib/gpu-upstream/generation-record';
import { HEADER } from '../../lib/gpu-upstream/testing/fixture-repos';
import streamParityExecutor from './executor';
import { withTempDir } from '../../lib/testing/temp-dir';

const SHA = '0dd81e2dd7186f2a9b0e1c3d4e5f60718293a4b5';

describe('stream-parity executor', () => {
  let root: string;
  let log: ReturnType<typeof captureLogger>;
  withTempDir('kf-parity-executor-', (dir) => (root = dir));

  beforeEach(() => {
    log = captureLogger();
    const dockerfile = `${HEADER('one')}USER root\n`;
    mkdirSync(join(root, 'dist/images/gpu-upstream/context'), { recursive: true });
    writeFileSync(join(root, 'dist/images/gpu-upstream/context/Dockerfile'), dockerfile);
    writeGenerationRecord(join(root, 'dist/images/gpu-upstream/generation.json'), {
      version: 1,
      context: 'dist/images/gpu-upstream/context',
      dockerfileSha256: createHash('sha256').update(dockerfile).digest('hex'),
      gpuJupyter: { repository: 'repos/gpu-jupyter', commitSetting: 'f'.repeat(40), commit: 'f'.repeat(40) },
      dockerStacks: { repository: 'repos/docker-stacks', commitSetting: SHA.slice(0, 12), commit: SHA },
      layout: 'custom/',
    });
  });
  afterEach(() => jest.restoreAllMocks());

  function settings(commit: string): void {
    writeFileSync(
      join(root, 'build_settings.env'),
      [
        'UPSTREAM_CONTAINER_CPU_UNTAGGED=quay.io/jupyter/datascience-notebook',
        `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${commit}`,
        'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
        'DOCKER_STACKS_REPO=repos/docker-stacks',
        'GPU_JUPYTER_REPO=repos/gpu-jupyter',
        `GPU_JUPYTER_HEAD_COMMIT=${'f'.repeat(40)}`,
        '',
      ].join('\n'),
    );
  }
  const context = () => ({ root, projectName: 'gpu-upstream', targetName: 'parity', cwd: root, isVerbose: false }) as unknown as ExecutorContext;
  const printed = () => log.info().join('\n');

  it('prints the table and succeeds when the commits agree', async () => {
    settings(SHA.slice(0, 12));
    await expect(streamParityExecutor({ context: 'dist/images/gpu-upstream/context', readRegistry: false }, context())).resolves.toEqual({ success: true });
    expect(printed()).toMatch(/docker-stacks commit\s+0dd81e2dd718 .*same/);
    expect(printed()).toMatch(/Ubuntu release\s+unknown \(the registry was not asked \(readRegistry is false\)\)\s+24\.04/);
    expect(log.errors()).toEqual([]);
  });

  it('fails with one line naming both commits when they differ', async () => {
    settings('3f40fd030303');
    await expect(streamParityExecutor({ context: 'dist/images/gpu-upstream/context', readRegistry: false }, context())).resolves.toEqual({ success: false });
    expect(log.errors()).toHaveLength(1);
    expect(log.errors()[0]).toMatch(new RegExp(`^gpu-upstream:parity: the cpu and gpu streams are built from different docker-stacks commits: cpu 3f40fd030303 .* gpu ${SHA} `));
  });

  it('fails with one line, no stack, when the generation is missing', async () => {
    settings(SHA.slice(0, 12));
    rmSync(join(root, 'dist/images/gpu-upstream/generation.json'));
    await expect(streamParityExecutor({ context: 'dist/images/gpu-upstream/context', readRegistry: false }, context())).resolves.toEqual({ success: false });
    expect(log.errors()).toHaveLength(1);
    expect(log.errors()[0]).toMatch(/^gpu-upstream:parity: dist\/images\/gpu-upstream\/generation\.json not found/);
  });
});
