import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { logger } from '../../lib/logger';
import { readGenerationRecord, sha256OfFile } from '../../lib/gpu-upstream/generation-record';
import { createDockerStacksFixture, createGpuJupyterFixture, FIXTURE_CUDA_BASE, type DockerStacksFixture, type GpuJupyterFixture } from '../../lib/gpu-upstream/testing/fixture-repos';
import { generatorCodeSha256 } from '../../lib/gpu-upstream/upstream-identity';
import { writeUpstreamLock } from '../../lib/upstream-lock/lock-file';
import { CUDA_UPSTREAM_KEY } from '../../lib/upstream-lock/upstream-lock';

const CUDA_DIGEST = `sha256:${'c'.repeat(64)}`;
import generateGpuUpstreamExecutor from './executor';

describe('generate-gpu-upstream executor', () => {
  let root: string;
  let stacks: DockerStacksFixture;
  let gpu: GpuJupyterFixture;

  beforeAll(() => {
    jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    root = mkdtempSync(join(tmpdir(), 'kf-generate-executor-'));
    stacks = createDockerStacksFixture(join(root, 'repos/docker-stacks'));
    gpu = createGpuJupyterFixture(join(root, 'repos/gpu-jupyter'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  function writeSettings(gpuCommit: string): void {
    writeFileSync(
      join(root, 'build_settings.env'),
      [
        'UPSTREAM_CONTAINER_CPU_UNTAGGED=quay.io/jupyter/datascience-notebook',
        `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${stacks.commits[0].slice(0, 12)}`,
        'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
        // Relative to the workspace root, as a user may write it.
        'DOCKER_STACKS_REPO=repos/docker-stacks',
        'GPU_JUPYTER_REPO=repos/gpu-jupyter',
        `GPU_JUPYTER_HEAD_COMMIT=${gpuCommit}`,
        '',
      ].join('\n'),
    );
  }

  const context = () => ({ root, projectName: 'gpu-upstream', targetName: 'generate', cwd: root, isVerbose: false }) as unknown as ExecutorContext;

  it('writes the context to the default output path, FROM the locked cuda digest', async () => {
    writeSettings(gpu.commits[1]);
    writeUpstreamLock(root, { version: 1, upstreams: { [CUDA_UPSTREAM_KEY]: { reference: FIXTURE_CUDA_BASE, digest: CUDA_DIGEST, checkedAt: '2026-01-01T00:00:00.000Z' } } });
    await expect(generateGpuUpstreamExecutor({ outputPath: 'dist/images/gpu-upstream/context' }, context())).resolves.toEqual({ success: true });
    expect(readFileSync(join(root, 'dist/images/gpu-upstream/context/Dockerfile'), 'utf8')).toContain('fixture.gpu-jupyter="two"');
    expect(readFileSync(join(root, 'dist/images/gpu-upstream/context/Dockerfile'), 'utf8')).toContain(`\nFROM ${FIXTURE_CUDA_BASE}@${CUDA_DIGEST}\n`);
    expect(existsSync(join(root, 'tmp/gpu-upstream/repos'))).toBe(true);
    // Beside the context, not in it: stream parity reads which commits the context was made from.
    expect(readGenerationRecord(join(root, 'dist/images/gpu-upstream/generation.json'))).toEqual({
      version: 1,
      context: 'dist/images/gpu-upstream/context',
      dockerfileSha256: sha256OfFile(join(root, 'dist/images/gpu-upstream/context/Dockerfile')),
      gpuJupyter: { repository: 'repos/gpu-jupyter', commitSetting: gpu.commits[1], commit: gpu.commits[1] },
      dockerStacks: { repository: 'repos/docker-stacks', commitSetting: stacks.commits[0].slice(0, 12), commit: stacks.commits[0] },
      layout: 'custom/',
      generatorSha256: generatorCodeSha256(),
      cudaBase: `${FIXTURE_CUDA_BASE}@${CUDA_DIGEST}`,
    });
  });

  it('fails with one line naming the setting, and removes the previous output', async () => {
    writeSettings('f'.repeat(40));
    const errors = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      await expect(generateGpuUpstreamExecutor({ outputPath: 'dist/images/gpu-upstream/context' }, context())).resolves.toEqual({ success: false });
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors.mock.calls[0][0]).toMatch(/^gpu-upstream:generate: GPU_JUPYTER_HEAD_COMMIT=f{40} \(build_settings\.env\) is not a commit of gpu-jupyter at .*repos\/gpu-jupyter/);
      expect(existsSync(join(root, 'dist/images/gpu-upstream/context'))).toBe(false);
      expect(existsSync(join(root, 'dist/images/gpu-upstream/generation.json'))).toBe(false);
    } finally {
      errors.mockRestore();
    }
  });
});
