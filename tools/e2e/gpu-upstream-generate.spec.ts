import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createDockerStacksFixture, createGpuJupyterFixture, type DockerStacksFixture, type GpuJupyterFixture } from '@kubeflow-images/plugin-lib/gpu-upstream/testing/fixture-repos';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

/** `nx run gpu-upstream:generate` through the real Nx CLI, its cache and the fixture repositories. */
describe('nx run gpu-upstream:generate', () => {
  let workspace: TempWorkspace;
  let stacks: DockerStacksFixture;
  let gpu: GpuJupyterFixture;

  beforeAll(() => {
    workspace = createTempWorkspace('kf-gpu-generate-');
    // Outside the workspace's files, so they do not change its inputs.
    stacks = createDockerStacksFixture(join(workspace.root, 'tmp', 'fixtures', 'docker-stacks'));
    gpu = createGpuJupyterFixture(join(workspace.root, 'tmp', 'fixtures', 'gpu-jupyter'));
  }, 120_000);
  afterAll(() => workspace?.remove());

  /** build_settings.env of the workspace with the repositories and pins replaced. */
  function pin(gpuCommit: string): void {
    const settings = readFileSync(join(workspace.root, 'build_settings.env'), 'utf8')
      .replace(/^DOCKER_STACKS_REPO=.*$/m, `DOCKER_STACKS_REPO=${stacks.repo.path}`)
      .replace(/^GPU_JUPYTER_REPO=.*$/m, `GPU_JUPYTER_REPO=${gpu.repo.path}`)
      .replace(/^UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=.*$/m, `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${stacks.commits[0].slice(0, 12)}`)
      .replace(/^GPU_JUPYTER_HEAD_COMMIT=.*$/m, `GPU_JUPYTER_HEAD_COMMIT=${gpuCommit}`);
    workspace.write('build_settings.env', settings);
  }

  function generate(): string {
    const output = workspace.nxOk(['run', 'gpu-upstream:generate', '--outputStyle=stream']);
    if (process.env.SHOW_NX_OUTPUT) console.log(output);
    return output;
  }

  const context = (file: string) => join(workspace.root, 'dist/images/gpu-upstream/context', file);
  const cacheHit = /existing outputs match the cache|\[local cache\]/;

  it('writes the context, is a cache hit when nothing changed and regenerates when the pin changes', () => {
    pin(gpu.commits[0]);
    expect(generate()).not.toMatch(cacheHit);
    expect(readFileSync(context('Dockerfile'), 'utf8')).toContain('fixture.gpu-jupyter="one"');
    expect(existsSync(context('start.sh'))).toBe(true);

    expect(generate()).toMatch(cacheHit);

    // A cache hit restores the context when it is gone, executable bits included (the build copies them into the image).
    rmSync(join(workspace.root, 'dist'), { recursive: true, force: true });
    expect(generate()).toMatch(cacheHit);
    expect(readFileSync(context('Dockerfile'), 'utf8')).toContain('fixture.gpu-jupyter="one"');
    expect(statSync(context('start.sh')).mode & 0o111).not.toBe(0);

    pin(gpu.commits[1]);
    expect(generate()).not.toMatch(cacheHit);
    expect(readFileSync(context('Dockerfile'), 'utf8')).toContain('fixture.gpu-jupyter="two"');
  }, 300_000);

  it('fails with the clear message, and no context, for a commit gpu-jupyter does not have', () => {
    pin('0'.repeat(40));
    const result = workspace.nx(['run', 'gpu-upstream:generate', '--outputStyle=stream']);
    expect(result.status).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toContain(`GPU_JUPYTER_HEAD_COMMIT=${'0'.repeat(40)} (build_settings.env) is not a commit of gpu-jupyter at ${gpu.repo.path}`);
    expect(existsSync(context('Dockerfile'))).toBe(false);
  }, 120_000);
});
