import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ExecutorContext, ProjectGraph } from '@nx/devkit';
import { fixtureBuildSettings, fixtureDockerfile } from '../../../../e2e/support/podman-fixtures';
import { UPSTREAM_TAG, type Stream } from '../hierarchy/image-graph';
import { plannedRecord, recordPath, writeRecord, type BuildRecord } from '../records/build-record';
import { OPTIONAL_SETTINGS, REQUIRED_SETTINGS } from '../settings/build-settings';
import { writeUpstreamLock } from '../upstream-lock/lock-file';
import { CPU_UPSTREAM_KEY, CUDA_UPSTREAM_KEY } from '../upstream-lock/upstream-lock';
import { configurationErrorOf } from '../testing/configuration-error';
import { imageExecutorContext } from '../testing/executor-context';
import { withTempDir } from '../testing/temp-dir';
import { prepareBuild, type PrepareOptions } from './prepare-build';

const PIN = 'quay.io/jupyter/datascience-notebook:abc123def456';
const CUDA = 'nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04';
const digest = (hex: string) => `sha256:${hex.repeat(64)}`;
const BASE_TAG = 'content-fedcba9876543210fedcba98';

interface FixtureProject {
  implicitDependencies?: string[];
  streams: Stream[];
  tags?: string[];
  imageName?: string;
}

/** The product's hierarchy, in small: gpu-upstream (generated) → base (cpu root on the pin) → minimal. */
const PROJECTS: Record<string, FixtureProject> = {
  'gpu-upstream': { streams: ['gpu'], tags: [UPSTREAM_TAG], imageName: 'gpu-upstream' },
  base: { implicitDependencies: ['gpu-upstream'], streams: ['cpu', 'gpu'], imageName: 'base-notebook' },
  minimal: { implicitDependencies: ['base'], streams: ['cpu', 'gpu'], imageName: 'minimal-notebook' },
};

function projectGraph(projects: Record<string, FixtureProject>): ProjectGraph {
  const nodes = Object.entries(projects).map(([name, project]) => [
    name,
    {
      name,
      type: 'app',
      data: {
        root: `images/${name}`,
        implicitDependencies: project.implicitDependencies ?? [],
        targets: Object.fromEntries(project.streams.map((stream) => [`build-${stream}`, {}])),
        tags: project.tags ?? ['image:notebook'],
        metadata: project.imageName === undefined ? {} : { imageName: project.imageName },
      },
    },
  ]);
  return { nodes: Object.fromEntries(nodes), dependencies: {} } as unknown as ProjectGraph;
}

/** base's record as its build left it. */
function baseRecord(stream: Stream, overrides: Partial<BuildRecord> = {}): BuildRecord {
  const image = `localhost:5000/base-notebook-${stream}:${BASE_TAG}`;
  return { project: 'base', stream, image, contentTag: BASE_TAG, parent: PIN, tags: [image], imageId: digest('1'), digest: null, planned: false, source: 'built', ...overrides };
}

describe('prepareBuild', () => {
  let root = '';
  withTempDir('kf-prepare-build-', (dir) => (root = dir));

  // The spec's workspace says what the settings are; a developer's or CI's environment must not override them.
  const saved: NodeJS.ProcessEnv = {};
  beforeAll(() => {
    for (const key of [...REQUIRED_SETTINGS, ...OPTIONAL_SETTINGS]) {
      saved[key] = process.env[key];
      delete process.env[key];
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
  });

  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  /** upstream-lock.json with these digests for the cpu pin and the cuda base (null: listed, not locked). */
  const lock = (cpuDigest: string | null, cudaDigest: string | null = digest('c')) =>
    writeUpstreamLock(root, {
      version: 1,
      upstreams: {
        [CPU_UPSTREAM_KEY]: { reference: PIN, digest: cpuDigest, checkedAt: '2026-01-01T00:00:00.000Z' },
        [CUDA_UPSTREAM_KEY]: { reference: CUDA, digest: cudaDigest, checkedAt: '2026-01-01T00:00:00.000Z' },
      },
    });

  beforeEach(() => {
    write('build_settings.env', fixtureBuildSettings(PIN, { IMAGE_REGISTRY: 'localhost:5000' }));
    lock(digest('a'));
    for (const name of ['base', 'minimal']) write(`images/${name}/Dockerfile`, fixtureDockerfile(name));
    write('images/gpu-upstream/README.md', 'generated elsewhere\n');
  });

  const context = (project: string, stream: Stream, projects = PROJECTS): ExecutorContext => ({
    ...imageExecutorContext(project, `build-${stream}`),
    root,
    cwd: root,
    projectGraph: projectGraph(projects),
  });
  const prepare = (project: string, stream: Stream, options: Partial<PrepareOptions> = {}, projects = PROJECTS) =>
    prepareBuild({ stream, ...options }, context(project, stream, projects));

  describe('checks a plan makes before any engine is involved', () => {
    it('refuses IMAGE_PUSH=true without a registry, in plan mode too', () => {
      write('build_settings.env', `${fixtureBuildSettings(PIN, { IMAGE_REGISTRY: '' })}IMAGE_PUSH=true\n`);
      expect(configurationErrorOf(() => prepare('base', 'cpu', { plan: true })).message).toBe(
        `base: push needs a registry: set IMAGE_REGISTRY (build_settings.env or environment) or the target's "registry" option, or set IMAGE_PUSH=false`,
      );
      expect(() => prepare('base', 'cpu', { plan: true, registry: 'localhost:5000' })).not.toThrow();
      expect(() => prepare('base', 'cpu', { plan: true, push: false })).not.toThrow();
    });

    it('refuses a buildArgs key no ARG of the Dockerfile declares', () => {
      expect(configurationErrorOf(() => prepare('minimal', 'cpu', { plan: true, buildArgs: { PYTHON_VERSON: '3.12' } })).message).toBe(
        'images/minimal/project.json: minimal:build-cpu buildArgs.PYTHON_VERSON is no ARG of images/minimal/Dockerfile, so the build would ignore it: declare `ARG PYTHON_VERSON` in the Dockerfile before it is used, or remove the key',
      );
    });

    it('refuses a COPY of a file the context\'s .dockerignore excludes, as lint does', () => {
      write('images/minimal/Dockerfile', `${fixtureDockerfile('minimal')}COPY start.sh /usr/local/bin/\n`);
      write('images/minimal/start.sh', '#!/bin/sh\n');
      write('images/minimal/.dockerignore', '*.sh\n');
      const line = fixtureDockerfile('minimal').split('\n').length;
      expect(configurationErrorOf(() => prepare('minimal', 'cpu', { plan: true })).message).toBe(
        `images/minimal/Dockerfile:${line} copy-source-exists COPY source start.sh is excluded by the context's .dockerignore: remove it from .dockerignore or stop copying it`,
      );
    });

    it('says in plan mode what the image\'s lint target fails on, honouring its disabledRules; a real build leaves it to lint', () => {
      write('images/base/Dockerfile', `${fixtureDockerfile('base')}USER root\n`);
      const warned = (options: Partial<PrepareOptions>, ctx = context('base', 'cpu')) => prepareBuild({ stream: 'cpu', ...options }, ctx).warnings;
      const line = fixtureDockerfile('base').split('\n').length;
      expect(warned({ plan: true })).toContain(
        `images/base/Dockerfile:${line} last-user-notebook the last USER is root, so the notebook would not run as the notebook user: end the Dockerfile with \`USER \${NB_UID}\` (or waive with \`# lint-ignore last-user-notebook: <why>\`) (base:lint fails on this)`,
      );
      expect(warned({})).toEqual([]);
      const lintOff = context('base', 'cpu');
      lintOff.projectsConfigurations = { version: 2, projects: { base: { root: 'images/base', targets: { lint: { options: { disabledRules: ['last-user-notebook', 'rebuild-date-arg'] } } } } } };
      expect(warned({ plan: true }, lintOff)).toEqual([]);
    });

    it('refuses in plan mode a checks.json the container test could not read', () => {
      write('images/base/tests/checks.json', '');
      expect(configurationErrorOf(() => prepare('base', 'cpu', { plan: true })).message).toMatch(
        /^images\/base\/tests\/checks\.json is not valid JSON \(Unexpected end of JSON input\): write \{/,
      );
      expect(() => prepare('base', 'cpu')).not.toThrow();
    });

    it('refuses a context outside the workspace, naming the project.json and the option', () => {
      expect(configurationErrorOf(() => prepare('base', 'cpu', { plan: true, context: '../..' })).message).toBe(
        `images/base/project.json: base:build-cpu option context "../.." is outside the workspace, where Nx cannot hash it: use a folder inside the workspace (by default the image's folder, images/base)`,
      );
    });
  });

  describe('the parent', () => {
    it('builds a cpu root on its pin, by the digest the lock holds', () => {
      const { plan, parentSource, warnings } = prepare('base', 'cpu');
      expect(plan.parent).toBe(`${PIN}@${digest('a')}`);
      expect(plan.buildArgs).toEqual({ BASE_CONTAINER: `${PIN}@${digest('a')}` });
      expect(parentSource).toEqual({ kind: 'pinned', reference: `${PIN}@${digest('a')}`, settingKey: 'UPSTREAM_CONTAINER_CPU' });
      expect(warnings).toEqual([]);
    });

    it('changes the content tag when the lock moves the pin to another digest', () => {
      const before = prepare('base', 'cpu').plan.contentTag;
      lock(digest('b'));
      expect(prepare('base', 'cpu').plan.contentTag).not.toBe(before);
    });

    it('refuses a real build on a pin the lock has no digest for, naming the lock and the fix', () => {
      lock(null);
      expect(configurationErrorOf(() => prepare('base', 'cpu')).message).toBe(
        `upstream-lock.json has no digest for "UPSTREAM_CONTAINER_CPU" (${PIN}): builds use upstreams by digest only; run \`npm run pins\` to lock it, then commit upstream-lock.json`,
      );
    });

    it('plans on the tag of an unlocked pin, with a warning naming the target', () => {
      lock(null);
      const { plan, warnings } = prepare('base', 'cpu', { plan: true });
      expect(plan.parent).toBe(PIN);
      expect(warnings).toContain(
        `base:build-cpu: upstream-lock.json has no digest for "UPSTREAM_CONTAINER_CPU" (${PIN}): planned on the tag; run \`npm run pins\` before a real build`,
      );
    });

    it("builds a child on its parent's recorded image", () => {
      writeRecord(root, baseRecord('cpu'));
      const { plan, parentSource } = prepare('minimal', 'cpu');
      expect(parentSource).toEqual({ kind: 'project', project: 'base' });
      expect(plan.parent).toBe(baseRecord('cpu').image);
      expect(plan.buildArgs.BASE_CONTAINER).toBe(baseRecord('cpu').image);
    });

    it('refuses a child whose parent has no record, naming the parent build to run', () => {
      expect(configurationErrorOf(() => prepare('minimal', 'cpu')).message).toBe(
        `build record of base (cpu) ${recordPath(root, 'base', 'cpu')} is missing: run npx nx run base:build-cpu --skip-nx-cache (nx run-many and nx affected re-derive it when they build on it)`,
      );
    });

    it("refuses a parent record that belongs to another build", () => {
      write(`dist/images/base/cpu.json`, JSON.stringify(baseRecord('gpu')));
      expect(configurationErrorOf(() => prepare('minimal', 'cpu')).message).toBe(
        `build record of base (cpu) ${recordPath(root, 'base', 'cpu')} belongs to another build (base, gpu): run npx nx run base:build-cpu --skip-nx-cache (nx run-many and nx affected re-derive it when they build on it)`,
      );
    });

    it("refuses a parent's planned record for a real build, and plans on it", () => {
      writeRecord(root, plannedRecord(baseRecord('cpu')));
      expect(configurationErrorOf(() => prepare('minimal', 'cpu')).message).toContain("cannot build on base's planned record");
      expect(prepare('minimal', 'cpu', { plan: true }).plan.parent).toBe(baseRecord('cpu').image);
    });

    it("fails on a cycle further up the chain, although the image's own parent resolves", () => {
      const projects = { ...PROJECTS, base: { ...PROJECTS.base, implicitDependencies: ['loop'] }, loop: { implicitDependencies: ['base'], streams: ['cpu' as const] } };
      writeRecord(root, baseRecord('cpu'));
      expect(configurationErrorOf(() => prepare('minimal', 'cpu', {}, projects)).message).toContain(
        'images/base/project.json: the image hierarchy has a cycle (base -> loop -> base)',
      );
    });

    it('refuses a Dockerfile that ignores BASE_CONTAINER (the record would name a parent it does not build on), even in plan mode', () => {
      write('images/base/Dockerfile', 'FROM busybox\n');
      expect(configurationErrorOf(() => prepare('base', 'cpu', { plan: true })).message).toMatch(/^images\/base\/Dockerfile:1 base-container-arg the final stage builds FROM busybox, not \$BASE_CONTAINER/);
    });
  });

  describe('the image', () => {
    it('names the image <registry>/<imageName>-<stream>:<content tag>, the registry from the settings or the option', () => {
      const { plan, registry } = prepare('base', 'cpu');
      expect(registry).toBe('localhost:5000');
      expect(plan.repository).toBe('localhost:5000/base-notebook-cpu');
      expect(plan.image).toBe(`localhost:5000/base-notebook-cpu:${plan.contentTag}`);
      const elsewhere = prepare('base', 'cpu', { registry: 'myacr.azurecr.io', imageName: 'jupyter-base' }).plan;
      expect(elsewhere.image).toBe(`myacr.azurecr.io/jupyter-base-cpu:${plan.contentTag}`);
    });

    it('hashes the Dockerfile and the context: a changed file changes the tag', () => {
      const before = prepare('base', 'cpu').plan;
      expect(before).toMatchObject({ dockerfile: join(root, 'images/base/Dockerfile'), context: join(root, 'images/base') });
      write('images/base/start.sh', 'echo hello\n');
      expect(prepare('base', 'cpu').plan.contentTag).not.toBe(before.contentTag);
    });

    it('takes the Dockerfile, context and build args the target names', () => {
      write('docker/alt.Dockerfile', `${fixtureDockerfile('alt')}ARG PYTHON_VERSION\n`);
      const { plan } = prepare('base', 'cpu', { dockerfile: 'docker/alt.Dockerfile', context: 'docker', buildArgs: { PYTHON_VERSION: '3.12' } });
      expect(plan).toMatchObject({ dockerfile: join(root, 'docker/alt.Dockerfile'), context: join(root, 'docker') });
      expect(plan.buildArgs).toEqual({ PYTHON_VERSION: '3.12', BASE_CONTAINER: `${PIN}@${digest('a')}` });
    });

    it('refuses a project without an image name, naming its project.json and the key to set', () => {
      const projects = { ...PROJECTS, base: { ...PROJECTS.base, imageName: undefined } };
      expect(configurationErrorOf(() => prepare('base', 'cpu', {}, projects)).message).toBe(
        'images/base/project.json: base has no image name: set "metadata": { "imageName": "<name>" } (the published name without the -cpu suffix)',
      );
    });

    it.each([
      ['option imageName', { imageName: 'Base:1' }, 'base:build-cpu option imageName="Base:1" is not an image name'],
      ['option registry', { registry: 'http://localhost:5000' }, 'base:build-cpu option registry="http://localhost:5000" is not a registry'],
    ])('names the target and the %s it refuses', (_what, options, message) => {
      expect(configurationErrorOf(() => prepare('base', 'cpu', options)).message).toContain(message);
    });

    it('refuses a stream the project does not build', () => {
      expect(configurationErrorOf(() => prepare('gpu-upstream', 'cpu')).message).toBe(
        'gpu-upstream has no build-cpu target but was asked to build stream cpu',
      );
    });
  });

  describe('a generated context (gpu-upstream)', () => {
    const generated = { generated: true, context: 'dist/gpu-upstream/context', dockerfile: 'dist/gpu-upstream/context/Dockerfile' };

    it('plans before the context exists: its identity is that of the locked pins', () => {
      const { plan, parentSource, generatedIdentity, warnings } = prepare('gpu-upstream', 'gpu', generated);
      expect(parentSource).toEqual({ kind: 'own-dockerfile' });
      expect(generatedIdentity).toMatchObject({ cudaBase: `${CUDA}@${digest('c')}`, dockerStacksCommit: 'abc123def456' });
      expect(plan.parent).toBe(`${CUDA}@${digest('c')}`);
      expect(plan.buildArgs).toEqual({});
      expect(warnings).toEqual([]);
    });

    it('changes the content tag when the lock moves the cuda base', () => {
      const before = prepare('gpu-upstream', 'gpu', generated).plan.contentTag;
      lock(digest('a'), digest('d'));
      expect(prepare('gpu-upstream', 'gpu', generated).plan.contentTag).not.toBe(before);
    });

    it('refuses a real build on an unlocked cuda base, and plans on its tag with a warning', () => {
      lock(digest('a'), null);
      expect(configurationErrorOf(() => prepare('gpu-upstream', 'gpu', generated)).message).toContain(
        `has no digest for "${CUDA_UPSTREAM_KEY}" (${CUDA}): builds use upstreams by digest only`,
      );
      const { plan, warnings } = prepare('gpu-upstream', 'gpu', { ...generated, plan: true });
      expect(plan.parent).toBe(CUDA);
      expect(warnings).toEqual([expect.stringMatching(/^gpu-upstream:build-gpu: .* planned on the tag; run `npm run pins` before a real build$/)]);
    });

    it("builds the gpu root on gpu-upstream's record, with no pin", () => {
      writeRecord(root, { ...baseRecord('gpu'), project: 'gpu-upstream', image: `localhost:5000/gpu-upstream-gpu:${BASE_TAG}`, parent: `${CUDA}@${digest('c')}` });
      const { plan, parentSource } = prepare('base', 'gpu');
      expect(parentSource).toEqual({ kind: 'project', project: 'gpu-upstream' });
      expect(plan.parent).toBe(`localhost:5000/gpu-upstream-gpu:${BASE_TAG}`);
    });
  });
});
