import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import type { BuildSettings } from '../settings/build-settings';
import { generateGpuUpstream } from './generate';
import { createDockerStacksFixture, createGpuJupyterFixture, GENERATOR_SCRIPT, GPULIBS, HEADER, USEFUL_PACKAGES, type DockerStacksFixture, type GpuJupyterFixture } from './testing/fixture-repos';

describe('generateGpuUpstream on fixture repositories', () => {
  let root: string;
  let stacks: DockerStacksFixture;
  let gpu: GpuJupyterFixture;
  let run = 0;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'kf-gpu-upstream-'));
    stacks = createDockerStacksFixture(join(root, 'docker-stacks'));
    gpu = createGpuJupyterFixture(join(root, 'gpu-jupyter'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function settings(overrides: Record<string, string> = {}): BuildSettings {
    return {
      file: 'build_settings.env',
      values: {
        GPU_JUPYTER_REPO: gpu.repo.path,
        GPU_JUPYTER_HEAD_COMMIT: gpu.commits[0],
        DOCKER_STACKS_REPO: stacks.repo.path,
        // The older docker-stacks commit, short as docker-stacks tags it: the generator's `git pull` must not move it to the tip.
        UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: stacks.commits[0].slice(0, 12),
        ...overrides,
      },
    };
  }

  /** Each call gets its own workspace and output, sharing nothing but the fixture repositories. */
  function generate(overrides: Record<string, string> = {}) {
    const workspaceRoot = join(root, `workspace-${++run}`);
    const outputDir = join(workspaceRoot, 'dist/images/gpu-upstream/context');
    const workDir = join(workspaceRoot, 'tmp/gpu-upstream');
    const attempt = () => generateGpuUpstream({ workspaceRoot, settings: settings(overrides), outputDir, workDir });
    return { workspaceRoot, outputDir, workDir, attempt, dockerfile: () => readFileSync(join(outputDir, 'Dockerfile'), 'utf8') };
  }

  /** A commit on a side branch of the gpu-jupyter fixture, so the main commits stay as they are. */
  function gpuVariant(files: Record<string, string | null>): string {
    gpu.repo.checkout(gpu.commits[1], `variant-${run}-${Math.random().toString(36).slice(2)}`);
    return gpu.repo.commit(files, 'variant');
  }

  it('uses the pinned commits and writes the Dockerfile with the files it copies', () => {
    const one = generate();
    const result = one.attempt();
    expect(result).toMatchObject({ gpuJupyterCommit: gpu.commits[0], dockerStacksCommit: stacks.commits[0], layout: 'custom/' });
    expect(one.dockerfile()).toContain('LABEL fixture.gpu-jupyter="one"');
    expect(one.dockerfile()).toContain('LABEL fixture.docker-stacks="one"');
    expect(one.dockerfile()).toMatch(/^FROM nvidia\/cuda:12\.9\.1-base-ubuntu24\.04$/m);
    expect(readdirSync(one.outputDir).sort()).toEqual([
      '10activate-conda-env.sh', 'Dockerfile', 'Rprofile.site', 'docker_healthcheck.py', 'fix-permissions', 'initial-condarc',
      'jupyter_server_config.py', 'jupyter_server_config_token_addendum.py', 'run-hooks.sh', 'setup-scripts',
      'start-notebook.py', 'start-notebook.sh', 'start-singleuser.py', 'start-singleuser.sh', 'start.sh',
    ]);
    expect(statSync(join(one.outputDir, 'start.sh')).mode & 0o111).not.toBe(0);

    const two = generate({ GPU_JUPYTER_HEAD_COMMIT: gpu.commits[1], UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: stacks.commits[1] });
    two.attempt();
    expect(two.dockerfile()).toContain('LABEL fixture.gpu-jupyter="two"');
    expect(two.dockerfile()).toContain('LABEL fixture.docker-stacks="two"');
    expect(two.dockerfile()).not.toContain('"one"');
  });

  it('leaves out the GPU libraries and the useful packages, keeps the datascience layers', () => {
    const { attempt, dockerfile } = generate();
    attempt();
    expect(dockerfile()).not.toMatch(/tensorflow|torch|CUDA_PATH/);
    expect(dockerfile()).not.toMatch(/htop|Useful packages/);
    expect(dockerfile()).toContain('RUN echo datascience-notebook');
    expect(dockerfile().match(/^FROM /gm)).toHaveLength(1);
  });

  it('needs no access to the repositories once their pinned commits are cached', () => {
    const first = generate();
    first.attempt();
    const away = `${gpu.repo.path}.away`;
    renameSync(gpu.repo.path, away);
    try {
      const again = generateGpuUpstream({ workspaceRoot: first.workspaceRoot, settings: settings(), outputDir: first.outputDir, workDir: first.workDir });
      expect(again.gpuJupyterCommit).toBe(gpu.commits[0]);
    } finally {
      renameSync(away, gpu.repo.path);
    }
  });

  it('names an unknown gpu-jupyter commit and its repository', () => {
    const missing = 'deadbeef'.repeat(5);
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: missing }).attempt).toThrow(
      new BuildConfigurationError(
        `GPU_JUPYTER_HEAD_COMMIT=${missing} (build_settings.env) is not a commit of gpu-jupyter at ${gpu.repo.path} (searched its branches and tags): set GPU_JUPYTER_HEAD_COMMIT to an existing commit of that repository`,
      ),
    );
  });

  it('names an unknown docker-stacks commit and its repository', () => {
    expect(generate({ UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: '0123456789ab' }).attempt).toThrow(
      /^UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=0123456789ab \(build_settings\.env\) is not a commit of docker-stacks at .*docker-stacks/,
    );
  });

  it('says so when neither the custom/ nor the src/ fragment layout is there', () => {
    const moved = gpuVariant({
      'custom/header.Dockerfile': null,
      'custom/gpulibs.Dockerfile': null,
      'custom/usefulpackages.Dockerfile': null,
      'fragments/header.Dockerfile': HEADER('moved'),
    });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: moved }).attempt).toThrow(
      new RegExp(
        `^gpu-upstream generate \\(gpu-jupyter ${moved.slice(0, 12)} with docker-stacks ${stacks.commits[0].slice(0, 12)}\\): neither custom/ \\(header.Dockerfile, gpulibs.Dockerfile, usefulpackages.Dockerfile\\) nor src/ \\(Dockerfile.header, Dockerfile.gpulibs, Dockerfile.usefulpackages\\) found: the generator's fragment layout changed`,
      ),
    );
  });

  it('names the missing fragment when the layout is only partly there', () => {
    const partial = gpuVariant({ 'custom/gpulibs.Dockerfile': null });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: partial }).attempt).toThrow(
      new RegExp(`gpu-jupyter ${partial.slice(0, 12)} .*custom/ lacks custom/gpulibs\\.Dockerfile: the generator's fragment layout changed`),
    );
  });

  it('refuses a generator that no longer reads the gpulibs file it empties', () => {
    const renamed = gpuVariant({ 'generate-Dockerfile.sh': GENERATOR_SCRIPT.replace('cat custom/gpulibs.Dockerfile', 'cat custom/gpu-libraries.Dockerfile') });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: renamed }).attempt).toThrow(/generate-Dockerfile\.sh no longer reads custom\/gpulibs\.Dockerfile/);
  });

  it('reports a generator that rejects the flags', () => {
    const strict = gpuVariant({ 'generate-Dockerfile.sh': GENERATOR_SCRIPT.replace('  --no-useful-packages) no_useful_packages=1;;\n', '') });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: strict }).attempt).toThrow(
      /generate-Dockerfile\.sh --commit [0-9a-f]{40} --no-useful-packages failed \(exit 21\): Unknown parameter passed: --no-useful-packages/,
    );
  });

  it('still understands the old src/ layout', () => {
    const old = gpuVariant({
      'generate-Dockerfile.sh': GENERATOR_SCRIPT.replace(/custom\/(header|gpulibs|usefulpackages)\.Dockerfile/g, 'src/Dockerfile.$1'),
      'src/Dockerfile.header': HEADER('src-layout'),
      'src/Dockerfile.gpulibs': GPULIBS,
      'src/Dockerfile.usefulpackages': USEFUL_PACKAGES,
      'custom/header.Dockerfile': null,
      'custom/gpulibs.Dockerfile': null,
      'custom/usefulpackages.Dockerfile': null,
    });
    const { attempt, dockerfile } = generate({ GPU_JUPYTER_HEAD_COMMIT: old });
    expect(attempt().layout).toBe('src/');
    expect(dockerfile()).toContain('fixture.gpu-jupyter="src-layout"');
    expect(dockerfile()).not.toMatch(/tensorflow|htop/);
  });

  it('rejects a generated Dockerfile with two FROMs or a base that is not nvidia/cuda', () => {
    const twoFroms = gpuVariant({ 'custom/header.Dockerfile': `${HEADER('two-froms')}FROM ubuntu:24.04\n` });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: twoFroms }).attempt).toThrow(
      new RegExp(`gpu-jupyter ${twoFroms.slice(0, 12)} .*has 2 FROM instructions .*FROM ubuntu:24\\.04.*must have exactly one final base`),
    );
    const ubuntu = gpuVariant({ 'custom/header.Dockerfile': HEADER('ubuntu', 'ubuntu:24.04') });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: ubuntu }).attempt).toThrow(new RegExp(`gpu-jupyter ${ubuntu.slice(0, 12)} .*starts FROM ubuntu:24\\.04 .*not an nvidia/cuda image`));
  });

  it('notices a generator that brings the gpulibs fragment back', () => {
    const restoring = gpuVariant({
      'generate-Dockerfile.sh': GENERATOR_SCRIPT.replace('cat custom/gpulibs.Dockerfile', 'git checkout -- custom/gpulibs.Dockerfile; cat custom/gpulibs.Dockerfile'),
    });
    expect(generate({ GPU_JUPYTER_HEAD_COMMIT: restoring }).attempt).toThrow(
      new RegExp(`gpu-jupyter ${restoring.slice(0, 12)} .*restored custom/gpulibs\\.Dockerfile while it ran`),
    );
  });

  it('leaves no output, stale or partial, and no checkout when it fails', () => {
    const failing = gpuVariant({ 'custom/header.Dockerfile': HEADER('ubuntu', 'ubuntu:24.04') });
    const { attempt, outputDir, workDir } = generate({ GPU_JUPYTER_HEAD_COMMIT: failing });
    mkdirSync(outputDir, { recursive: true });
    writeFileSync(join(outputDir, 'Dockerfile'), 'FROM nvidia/cuda:an-earlier-run\n');
    expect(attempt).toThrow(BuildConfigurationError);
    expect(existsSync(outputDir)).toBe(false);
    expect(readdirSync(join(outputDir, '..'))).toEqual([]);
    expect(readdirSync(workDir)).toEqual(['repos']);
  });

  it('leaves no partial output when a copied file is missing from the context', () => {
    const lossy = gpuVariant({ 'generate-Dockerfile.sh': GENERATOR_SCRIPT.replace('cp custom/jupyter_server_config_token_addendum.py .build/', '') });
    const { attempt, outputDir } = generate({ GPU_JUPYTER_HEAD_COMMIT: lossy });
    expect(attempt).toThrow(/copies jupyter_server_config_token_addendum\.py \(line \d+\) but the generator did not write it to \.build\//);
    expect(readdirSync(join(outputDir, '..'))).toEqual([]);
  });
});
