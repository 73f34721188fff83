import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync, type ProjectGraph } from '@nx/devkit';
import { toImageGraph, UPSTREAM_TAG } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { WORKSPACE_ROOT } from './support/temp-workspace';

/** The hierarchy as the real Nx project graph of this workspace sees it. */
describe('workspace project graph', () => {
  let graph: ProjectGraph;

  beforeAll(async () => {
    process.env.NX_DAEMON = 'false';
    process.chdir(WORKSPACE_ROOT);
    graph = await createProjectGraphAsync({ exitOnError: false });
  }, 120_000);

  const implicitEdges = () =>
    Object.entries(graph.dependencies)
      .flatMap(([source, deps]) => deps.filter((dep) => dep.type === 'implicit').map((dep) => `${source} -> ${dep.target}`))
      .sort();

  it('has exactly the hierarchy of the design as implicit dependencies', () => {
    expect(implicitEdges()).toEqual([
      'base -> cpu-upstream',
      'base -> gpu-upstream',
      'geomatics -> minimal',
      'machine-learning -> minimal',
      'minimal -> base',
      'r-studio -> minimal',
    ]);
  });

  it('gives each image the build targets of its streams, and nothing else lists them', () => {
    const targets = (name: string) => Object.keys(graph.nodes[name].data.targets ?? {}).filter((t) => t.startsWith('build-')).sort();
    expect(targets('gpu-upstream')).toEqual(['build-gpu']);
    expect(targets('base')).toEqual(['build-cpu', 'build-gpu']);
    expect(targets('minimal')).toEqual(['build-cpu', 'build-gpu']);
    expect(targets('machine-learning')).toEqual(['build-cpu', 'build-gpu']);
    expect(targets('geomatics')).toEqual(['build-cpu']);
    expect(targets('r-studio')).toEqual(['build-cpu']);
    const withBuildTargets = Object.keys(graph.nodes).filter((name) => targets(name).length > 0).sort();
    expect(withBuildTargets).toEqual(['base', 'geomatics', 'gpu-upstream', 'machine-learning', 'minimal', 'r-studio']);
  });

  it('infers each image\'s targets from its project.json metadata: build-<stream> depends on the parent\'s build-<stream> only', () => {
    const build = graph.nodes['minimal'].data.targets!['build-cpu'];
    expect(build.executor).toBe('@kubeflow-images/nx-plugin:build');
    expect(build.options).toMatchObject({ stream: 'cpu' });
    expect(build.dependsOn).toEqual([{ projects: ['base'], target: 'build-cpu' }]);
    expect(build.outputs).toEqual(['{workspaceRoot}/dist/images/{projectName}/cpu.json']);
    expect(build.cache).toBe(true);
    expect(build.configurations?.plan).toEqual({ plan: true });
    // This stream's settings only, never the whole settings file: a pin of the other stream keeps its key.
    expect(build.inputs).toContainEqual({ dependentTasksOutputFiles: 'dist/images/*/cpu.settings.json', transitive: true });
    expect(build.inputs).not.toContainEqual('{workspaceRoot}/build_settings.env');
    expect(graph.nodes['machine-learning'].data.targets!['build-gpu'].dependsOn).toEqual([{ projects: ['minimal'], target: 'build-gpu' }]);
    expect(graph.nodes['base'].data.targets!['build-gpu'].dependsOn).toEqual([{ projects: ['gpu-upstream'], target: 'build-gpu' }]);
    // The cpu root builds on the pin cpu-upstream stands for: its task resolves the cpu stream's settings.
    expect(graph.nodes['base'].data.targets!['build-cpu'].dependsOn).toEqual([{ projects: ['cpu-upstream'], target: 'settings' }]);
    expect(Object.keys(graph.nodes['cpu-upstream'].data.targets ?? {})).toEqual(['settings']);
    // A target an image's project.json adds options to keeps what the plugin infers.
    expect(graph.nodes['machine-learning'].data.targets!['build-gpu'].options).toMatchObject({ stream: 'gpu', buildArgs: { XGBOOST_PACKAGE: 'xgboost' } });
  });

  it('keeps project.json to the parent and metadata: no image project.json lists an empty target', () => {
    const images = Object.values(graph.nodes).filter((node) => Array.isArray((node.data.metadata as { streams?: unknown } | undefined)?.streams));
    expect(images.length).toBeGreaterThan(0);
    for (const node of images) {
      const written = JSON.parse(readFileSync(join(WORKSPACE_ROOT, node.data.root, 'project.json'), 'utf8'));
      const empty = Object.entries(written.targets ?? {}).filter(([, target]) => Object.keys(target as object).length === 0).map(([name]) => name);
      expect([node.name, empty]).toEqual([node.name, []]);
    }
  });

  it('names every published image and marks the two stream roots as upstreams', () => {
    const images = toImageGraph(graph);
    expect(
      Object.fromEntries(
        Object.values(images)
          .filter((node) => node.imageName)
          .map((node) => [node.name, node.imageName]),
      ),
    ).toEqual({
      base: 'base-notebook',
      minimal: 'minimal-notebook',
      'machine-learning': 'machine-learning-notebook',
      geomatics: 'geomatics-notebook',
      'r-studio': 'r-studio',
      'gpu-upstream': 'upstream-equivalent-notebook',
    });
    expect(Object.values(images).filter((node) => node.tags.includes(UPSTREAM_TAG)).map((node) => node.name).sort()).toEqual(['cpu-upstream', 'gpu-upstream']);
  });
});
