import type { ProjectGraph } from '@nx/devkit';
import type { BuildSettings } from '../settings/build-settings';
import { isImageProject, toImageGraph, UPSTREAM_TAG, type ImageGraph, type ImageNode } from './image-graph';
import { checkHierarchy, parentChain, resolveParent, resolveParentChain } from './resolve-parent';
import { configurationErrorOf } from '../testing/configuration-error';

const SETTINGS: BuildSettings = {
  file: 'build_settings.env',
  values: { UPSTREAM_CONTAINER_CPU: 'quay.io/jupyter/datascience-notebook:abc123def456' },
};
const NO_PINS: BuildSettings = { file: 'build_settings.env', values: {} };

function node(name: string, deps: string[], targets: string[], tags: string[] = ['image:notebook']): ImageNode {
  return { name, root: `images/${name}`, implicitDependencies: deps, targets, tags, imageName: `${name}-notebook` };
}

const BOTH = ['build-cpu', 'build-gpu', 'lint'];
const CPU = ['build-cpu', 'lint'];

/** The product's hierarchy, in small. */
function hierarchy(): ImageGraph {
  return {
    'gpu-upstream': node('gpu-upstream', [], ['build-gpu'], [UPSTREAM_TAG]),
    base: node('base', ['gpu-upstream'], BOTH),
    minimal: node('minimal', ['base'], BOTH),
    'machine-learning': node('machine-learning', ['minimal'], BOTH),
    geomatics: node('geomatics', ['minimal'], CPU),
    'r-studio': node('r-studio', ['minimal'], CPU),
    tools: node('tools', [], ['lint'], []),
  };
}

describe('resolveParent', () => {
  it.each(['cpu', 'gpu'] as const)('gives a child its one image parent (%s)', (stream) => {
    expect(resolveParent(hierarchy(), 'minimal', stream, SETTINGS)).toEqual({ kind: 'project', project: 'base' });
    expect(resolveParent(hierarchy(), 'machine-learning', stream, SETTINGS)).toEqual({ kind: 'project', project: 'minimal' });
  });

  it('ignores implicit dependencies that are not image projects', () => {
    const graph = hierarchy();
    graph.minimal.implicitDependencies = ['tools', 'base'];
    expect(resolveParent(graph, 'minimal', 'cpu', SETTINGS)).toEqual({ kind: 'project', project: 'base' });
  });

  it('gives the root image the pinned cpu upstream from build settings', () => {
    expect(resolveParent(hierarchy(), 'base', 'cpu', SETTINGS)).toEqual({
      kind: 'pinned',
      reference: 'quay.io/jupyter/datascience-notebook:abc123def456',
      settingKey: 'UPSTREAM_CONTAINER_CPU',
    });
  });

  it('gives the root image the gpu-upstream project for gpu', () => {
    expect(resolveParent(hierarchy(), 'base', 'gpu', SETTINGS)).toEqual({ kind: 'project', project: 'gpu-upstream' });
  });

  it('lets an upstream project build from its own Dockerfile', () => {
    expect(resolveParent(hierarchy(), 'gpu-upstream', 'gpu', SETTINGS)).toEqual({ kind: 'own-dockerfile' });
  });

  it('names the project and the fix when an image has no parent', () => {
    const graph = hierarchy();
    graph.minimal.implicitDependencies = ['tools'];
    const error = configurationErrorOf(() => resolveParent(graph, 'minimal', 'cpu', SETTINGS));
    expect(error.message).toContain('images/minimal/project.json');
    expect(error.message).toContain('minimal has no parent image');
    expect(error.message).toContain('implicitDependencies');
  });

  it('names the project, both parents and the fix when an image has two parents', () => {
    const graph = hierarchy();
    graph.geomatics.implicitDependencies = ['minimal', 'base'];
    const error = configurationErrorOf(() => resolveParent(graph, 'geomatics', 'cpu', SETTINGS));
    expect(error.message).toContain('images/geomatics/project.json');
    expect(error.message).toContain('minimal, base');
    expect(error.message).toContain('keep one');
  });

  it('names the parent, the missing target and both fixes when the parent lacks the stream', () => {
    const graph = hierarchy();
    graph['geo-ml'] = node('geo-ml', ['geomatics'], BOTH);
    expect(resolveParent(graph, 'geo-ml', 'cpu', SETTINGS)).toEqual({ kind: 'project', project: 'geomatics' });
    const error = configurationErrorOf(() => resolveParent(graph, 'geo-ml', 'gpu', SETTINGS));
    expect(error.message).toContain('geo-ml:build-gpu builds on geomatics, which has no build-gpu target');
    expect(error.message).toContain('images/geomatics/project.json');
    expect(error.message).toContain('images/geo-ml/project.json');
  });

  it('names an unknown project in implicitDependencies', () => {
    const graph = hierarchy();
    graph.minimal.implicitDependencies = ['bsae'];
    const error = configurationErrorOf(() => resolveParent(graph, 'minimal', 'cpu', SETTINGS));
    expect(error.message).toContain('images/minimal/project.json');
    expect(error.message).toContain('unknown project "bsae" (did you mean base?)');
    expect(error.message).toContain('fix the name');
  });

  it('names the project, the setting and the fix when a root image has no pin for a stream', () => {
    const error = configurationErrorOf(() => resolveParent(hierarchy(), 'base', 'cpu', NO_PINS));
    expect(error.message).toContain('base:build-cpu is a root image');
    expect(error.message).toContain('build_settings.env has no UPSTREAM_CONTAINER_CPU');
    expect(error.message).toContain('set UPSTREAM_CONTAINER_CPU');
  });

  it('refuses an unknown project', () => {
    const error = configurationErrorOf(() => resolveParent(hierarchy(), 'nope', 'cpu', SETTINGS));
    expect(error.message).toContain('"nope"');
  });
});

describe('parentChain', () => {
  it('walks from an image up to its root, per stream', () => {
    expect(parentChain(hierarchy(), 'machine-learning', 'cpu', SETTINGS)).toEqual(['machine-learning', 'minimal', 'base']);
    expect(parentChain(hierarchy(), 'machine-learning', 'gpu', SETTINGS)).toEqual([
      'machine-learning',
      'minimal',
      'base',
      'gpu-upstream',
    ]);
  });

  it('names a cycle', () => {
    const graph: ImageGraph = { a: node('a', ['b'], CPU), b: node('b', ['a'], CPU) };
    const error = configurationErrorOf(() => parentChain(graph, 'a', 'cpu', SETTINGS));
    expect(error.message).toContain('images/a/project.json: the image hierarchy has a cycle (a -> b -> a)');
    expect(error.message).toContain('remove one of these implicitDependencies');
  });
});

describe('resolveParentChain', () => {
  it('gives every link the parent resolveParent gives it, the root its pin', () => {
    const graph = hierarchy();
    for (const stream of ['cpu', 'gpu'] as const) {
      const chain = resolveParentChain(graph, 'machine-learning', stream, SETTINGS);
      expect(chain.map((link) => link.project)).toEqual(parentChain(graph, 'machine-learning', stream, SETTINGS));
      for (const link of chain) expect(link.parent).toEqual(resolveParent(graph, link.project, stream, SETTINGS));
    }
    expect(resolveParentChain(graph, 'machine-learning', 'cpu', SETTINGS).pop()).toEqual({
      project: 'base',
      parent: { kind: 'pinned', reference: 'quay.io/jupyter/datascience-notebook:abc123def456', settingKey: 'UPSTREAM_CONTAINER_CPU' },
    });
  });

  it("fails a child's chain on its root's missing pin, naming the root", () => {
    const error = configurationErrorOf(() => resolveParentChain(hierarchy(), 'machine-learning', 'cpu', NO_PINS));
    expect(error.message).toContain('base:build-cpu is a root image');
    expect(error.message).toContain('build_settings.env has no UPSTREAM_CONTAINER_CPU');
  });

  it('needs no pin for a gpu chain that ends in an upstream project', () => {
    expect(resolveParentChain(hierarchy(), 'minimal', 'gpu', NO_PINS).pop()).toEqual({ project: 'gpu-upstream', parent: { kind: 'own-dockerfile' } });
  });
});

describe('checkHierarchy', () => {
  it('accepts the product hierarchy, whatever the pins say', () => {
    expect(() => checkHierarchy(hierarchy())).not.toThrow();
  });

  it.each([
    ['a cycle', (g: ImageGraph) => { g.base.implicitDependencies = ['machine-learning']; }, 'images/base/project.json: the image hierarchy has a cycle (base -> machine-learning -> minimal -> base)'],
    ['an unknown parent', (g: ImageGraph) => { g.geomatics.implicitDependencies = ['minimla']; }, 'images/geomatics/project.json: implicitDependencies names unknown project "minimla" (did you mean minimal?)'],
    ['two parents', (g: ImageGraph) => { g.geomatics.implicitDependencies = ['minimal', 'base']; }, 'images/geomatics/project.json: geomatics has several parent images (minimal, base)'],
    ['a parent lacking the stream', (g: ImageGraph) => { g['r-studio'].targets = BOTH; g['r-studio'].implicitDependencies = ['geomatics']; }, 'r-studio:build-gpu builds on geomatics, which has no build-gpu target: add "gpu" to metadata.streams in images/geomatics/project.json'],
    ['no parent', (g: ImageGraph) => { g.minimal.implicitDependencies = []; }, 'images/minimal/project.json: minimal has no parent image'],
    ['a parent that is no image', (g: ImageGraph) => { g['nx-plugin'] = { name: 'nx-plugin', root: 'tools/nx-plugin', implicitDependencies: [], targets: ['build', 'test'], tags: [] }; g.geomatics.implicitDependencies = ['nx-plugin']; }, 'images/geomatics/project.json: implicitDependencies names nx-plugin, which is not an image (no build-cpu or build-gpu target), so geomatics has no parent image: name its parent image instead (one of base, machine-learning, minimal'],
    ['two images with one image name', (g: ImageGraph) => { g.minimal.imageName = 'geomatics-notebook'; }, 'images/minimal/project.json: metadata.imageName "geomatics-notebook" is already the image name of geomatics (images/geomatics/project.json), and both would push to the same repository: give minimal its own imageName'],
  ])('names the project.json and the fix for %s', (_case, breakIt, message) => {
    const graph = hierarchy();
    breakIt(graph);
    expect(configurationErrorOf(() => checkHierarchy(graph)).message).toContain(message);
  });
});

describe('toImageGraph', () => {
  const projectGraph = {
    nodes: {
      minimal: {
        name: 'minimal',
        type: 'app',
        data: {
          root: 'images/minimal',
          implicitDependencies: ['base', '!tools'],
          targets: { 'build-cpu': {}, 'build-gpu': {}, lint: {} },
          tags: ['image:notebook'],
          metadata: { imageName: 'minimal-notebook' },
        },
      },
      base: {
        name: 'base',
        type: 'app',
        data: { root: 'images/base', targets: { 'build-cpu': {} } },
      },
      tools: {
        name: 'tools',
        type: 'lib',
        data: { root: 'tools', targets: { test: {} }, metadata: { imageName: 42 } },
      },
    },
    dependencies: {},
  } as unknown as ProjectGraph;

  it('keeps root, positive implicit dependencies, target names, tags and imageName', () => {
    const graph = toImageGraph(projectGraph);
    expect(graph.minimal).toEqual({
      name: 'minimal',
      root: 'images/minimal',
      implicitDependencies: ['base'],
      targets: ['build-cpu', 'build-gpu', 'lint'],
      tags: ['image:notebook'],
      imageName: 'minimal-notebook',
    });
  });

  it('defaults missing fields and ignores a non-string imageName', () => {
    const graph = toImageGraph(projectGraph);
    expect(graph.base).toEqual({
      name: 'base',
      root: 'images/base',
      implicitDependencies: [],
      targets: ['build-cpu'],
      tags: [],
      imageName: undefined,
    });
    expect(graph.tools.imageName).toBeUndefined();
    expect(isImageProject(graph.tools)).toBe(false);
    expect(isImageProject(graph.base)).toBe(true);
  });

  it('feeds parent resolution: the negated dependency is not a second parent', () => {
    const graph = toImageGraph(projectGraph);
    expect(resolveParent(graph, 'minimal', 'cpu', SETTINGS)).toEqual({ kind: 'project', project: 'base' });
  });
});
