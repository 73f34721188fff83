import type { CodeInputs } from '../plugin-build/plugin-sources';
import { buildPathInputs, factsGraph, imageTargets, type ImageProjectFacts } from './image-targets';

/** The workspace's shape: a pinned cpu root, a generated gpu root, and an image on both. */
const FACTS: ImageProjectFacts[] = [
  { name: 'cpu-upstream', root: 'images/cpu-upstream', implicitDependencies: [], tags: ['image:upstream'], streams: ['cpu'], hasDockerfile: false },
  {
    name: 'gpu-upstream',
    root: 'images/gpu-upstream',
    implicitDependencies: [],
    tags: ['image:upstream'],
    streams: ['gpu'],
    imageName: 'upstream-equivalent-notebook',
    hasDockerfile: false,
  },
  {
    name: 'base',
    root: 'images/base',
    implicitDependencies: ['cpu-upstream', 'gpu-upstream'],
    tags: ['image:notebook'],
    streams: ['cpu', 'gpu'],
    imageName: 'base-notebook',
    hasDockerfile: true,
  },
];
const PROJECTS = Object.fromEntries(FACTS.map((facts) => [facts.name, facts]));
const CODE = new Proxy({} as Record<string, CodeInputs>, { get: (_, executor) => [`{workspaceRoot}/code/${String(executor)}.ts`] });
const targetsOf = (project: string) => imageTargets(PROJECTS[project], factsGraph(FACTS), PROJECTS, CODE);

describe('imageTargets', () => {
  it('gives a generated upstream its container test, after its build, on its checks and the test code', () => {
    const test = targetsOf('gpu-upstream')['test-gpu'];
    expect(test).toMatchObject({
      executor: '@kubeflow-images/nx-plugin:container-test',
      dependsOn: ['build-gpu'],
      cache: true,
      outputs: [],
    });
    expect(test.inputs).toEqual(
      expect.arrayContaining(['containerChecks', { dependentTasksOutputFiles: 'dist/images/*/gpu.json' }, '{workspaceRoot}/code/container-test.ts']),
    );
  });

  it("tests a generated upstream at the server's root: its start command is the upstream's, which knows no NB_PREFIX", () => {
    expect(targetsOf('gpu-upstream')['test-gpu'].options).toEqual({ stream: 'gpu', nbPrefix: '/' });
    // An image of ours is tested under the default NB_PREFIX, as Kubeflow serves it.
    expect(targetsOf('base')['test-gpu'].options).toEqual({ stream: 'gpu' });
  });

  it('tests an image on its own checks and those of every ancestor, the generated upstream included', () => {
    expect(targetsOf('base')['test-gpu'].inputs).toContainEqual({ input: 'containerChecks', projects: ['gpu-upstream'] });
    expect(targetsOf('gpu-upstream')['test-gpu'].inputs).not.toContainEqual(expect.objectContaining({ input: 'containerChecks', projects: expect.anything() }));
  });

  it('gives a generated upstream no inspect or serve (no Dockerfile of its own), and only its stream', () => {
    expect(Object.keys(targetsOf('gpu-upstream')).sort()).toEqual(['build-gpu', 'generate', 'lint', 'parity', 'settings', 'test-gpu']);
    expect(Object.keys(targetsOf('base')).sort()).toEqual(
      ['build-cpu', 'build-gpu', 'inspect-cpu', 'inspect-gpu', 'lint', 'serve-cpu', 'serve-gpu', 'test-cpu', 'test-gpu'].sort(),
    );
  });

  it('gives a pinned upstream, which builds nothing, nothing to test', () => {
    expect(Object.keys(targetsOf('cpu-upstream'))).toEqual(['settings']);
  });

  it('hashes a build context or Dockerfile its project.json names outside the image folder, as the content tag does', () => {
    const shared = { ...PROJECTS.base, buildPaths: { cpu: { context: 'images/common-context/', dockerfile: './images/common-context/Dockerfile.cpu' } } };
    const inputs = imageTargets(shared, factsGraph(FACTS), { ...PROJECTS, base: shared }, CODE);
    expect(inputs['build-cpu'].inputs).toEqual(expect.arrayContaining(['imageContext', '{workspaceRoot}/images/common-context/**/*', '{workspaceRoot}/images/common-context/Dockerfile.cpu']));
    expect(inputs['build-gpu'].inputs).not.toContain('{workspaceRoot}/images/common-context/**/*');
  });

  it('names the whole workspace for a context of "." and nothing for a path outside it (the build refuses that)', () => {
    expect(buildPathInputs({ context: '.' })).toEqual(['{workspaceRoot}/**/*']);
    expect(buildPathInputs({ context: '../..', dockerfile: '/etc/Dockerfile' })).toEqual([]);
    expect(buildPathInputs()).toEqual([]);
    expect(buildPathInputs({ context: 'images/base/' }, 'images/base')).toEqual([]);
  });
});
