import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executorTask, runExecutorTask } from './executor-task';
import { BuildConfigurationError } from './errors';
import { captureLogger, imageExecutorContext } from './testing/executor-context';
import { withTempDir } from './testing/temp-dir';

const KIND = { executor: 'build', target: 'build-cpu' };

describe('runExecutorTask', () => {
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env.NX_VERBOSE_LOGGING;
  });

  it("gives the body's result", async () => {
    await expect(runExecutorTask(imageExecutorContext('base', 'build-cpu'), KIND, () => ({ success: true }))).resolves.toEqual({ success: true });
  });

  it('turns what the body throws into one line naming the task, and fails the task', async () => {
    const log = captureLogger();
    const result = await runExecutorTask(imageExecutorContext('base', 'build-cpu'), KIND, async () => {
      throw new BuildConfigurationError('images/base/Dockerfile: no FROM: add one');
    });
    expect(result).toEqual({ success: false });
    expect(log.errors()).toEqual(['base:build-cpu: images/base/Dockerfile: no FROM: add one']);
  });

  it('leaves a message that already names the task as it is, and adds the stack only with NX_VERBOSE_LOGGING', async () => {
    const quiet = captureLogger();
    await runExecutorTask(imageExecutorContext('base', 'build-cpu'), KIND, () => {
      throw new Error('base:build-cpu: podman ran out of disk space');
    });
    expect(quiet.errors()).toEqual(['base:build-cpu: podman ran out of disk space']);
    jest.restoreAllMocks();
    process.env.NX_VERBOSE_LOGGING = 'true';
    const verbose = captureLogger();
    await runExecutorTask(imageExecutorContext('base', 'build-cpu'), KIND, () => {
      throw new Error('boom');
    });
    expect(verbose.errors()).toHaveLength(2);
    expect(verbose.errors()[1]).toContain('executor-task.spec.ts');
  });

  it('names the target Nx runs, else the executor default', async () => {
    const log = captureLogger();
    const context = { ...imageExecutorContext('base', 'build-cpu'), targetName: undefined };
    await runExecutorTask(context, KIND, () => {
      throw new Error('x');
    });
    expect(log.errors()).toEqual(['base:build-cpu: x']);
  });
});

describe('executorTask', () => {
  let root: string;
  withTempDir('executor-task-', (dir) => (root = dir));

  it('reads the settings once however often the task asks', () => {
    writeFileSync(join(root, 'build_settings.env'), 'IMAGE_ENGINE=podman\n');
    const task = executorTask({ ...imageExecutorContext('base', 'build-cpu'), root }, KIND);
    const env = { ...process.env };
    try {
      Object.assign(process.env, {
        UPSTREAM_CONTAINER_CPU_UNTAGGED: 'quay.io/jupyter/datascience-notebook',
        UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: 'abc123def456',
        UPSTREAM_CONTAINER_CPU: 'quay.io/jupyter/datascience-notebook:abc123def456',
        DOCKER_STACKS_REPO: '/repos/docker-stacks',
        GPU_JUPYTER_REPO: '/repos/gpu-jupyter',
        GPU_JUPYTER_HEAD_COMMIT: '0000000000000000000000000000000000000000',
      });
      const first = task.settings();
      writeFileSync(join(root, 'build_settings.env'), 'IMAGE_ENGINE=docker\n');
      expect(task.settings()).toBe(first);
      expect(task.buildEngine()).toBe('podman');
      expect(task.buildEngine('docker')).toBe('docker');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
      Object.assign(process.env, env);
    }
  });

  it('says which executor needs the project graph when Nx gave none', () => {
    const task = executorTask(imageExecutorContext('base', 'serve-cpu', { projectGraph: false }), { executor: 'serve', target: 'serve-cpu' });
    expect(() => task.graph()).toThrow('the serve executor needs a project and the project graph');
  });
});
