import type { ImageGraph, ImageNode, Stream } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import type { BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';
import { detailedDot, displayRepository, hierarchyModel, shortCommit, displayReference, summaryDot } from './hierarchy-dot';

const settings: BuildSettings = {
  file: 'build_settings.env',
  values: {
    UPSTREAM_CONTAINER_CPU_UNTAGGED: 'quay.io/jupyter/datascience-notebook',
    UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: 'abcdef123456',
    UPSTREAM_CONTAINER_CPU: 'quay.io/jupyter/datascience-notebook:abcdef123456',
    DOCKER_STACKS_REPO: 'https://github.com/jupyter/docker-stacks.git',
    GPU_JUPYTER_REPO: 'https://github.com/iot-salzburg/gpu-jupyter.git',
    GPU_JUPYTER_HEAD_COMMIT: '1234567890abcdef1234567890abcdef12345678',
  },
};

function image(name: string, parent: string | null, streams: Stream[], extra: Partial<ImageNode> = {}): ImageNode {
  return {
    name,
    root: `images/${name}`,
    implicitDependencies: parent ? [parent] : [],
    targets: streams.map((stream) => `build-${stream}`),
    tags: ['image:notebook'],
    imageName: `${name}-notebook`,
    ...extra,
  };
}

/** The workspace's hierarchy, as the design describes it. */
function workspaceGraph(): ImageGraph {
  const nodes: ImageNode[] = [
    { name: 'cpu-upstream', root: 'images/cpu-upstream', implicitDependencies: [], targets: ['settings'], tags: ['image:upstream'] },
    image('gpu-upstream', null, ['gpu'], { tags: ['image:upstream'], imageName: 'upstream-equivalent-notebook' }),
    image('base', 'gpu-upstream', ['cpu', 'gpu'], { implicitDependencies: ['cpu-upstream', 'gpu-upstream'] }),
    image('minimal', 'base', ['cpu', 'gpu']),
    image('machine-learning', 'minimal', ['cpu', 'gpu']),
    image('geomatics', 'minimal', ['cpu']),
    image('r-studio', 'minimal', ['cpu'], { imageName: 'r-studio' }),
    { name: 'nx-plugin', root: 'tools/nx-plugin', implicitDependencies: [], targets: ['test'], tags: ['type:tooling'] },
  ];
  return Object.fromEntries(nodes.map((node) => [node.name, node]));
}

/** The body of one stream's cluster in the detailed DOT. */
function cluster(dot: string, stream: Stream): string {
  const start = dot.indexOf(`subgraph cluster_${stream} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  return dot.slice(start, dot.indexOf('\n  }\n', start));
}

describe('hierarchyModel', () => {
  it('lists image projects only, upstreams first, each with its streams and published name', () => {
    const model = hierarchyModel(workspaceGraph(), settings);
    expect(model.images.map((i) => i.name)).toEqual(['gpu-upstream', 'base', 'geomatics', 'machine-learning', 'minimal', 'r-studio']);
    expect(model.images.find((i) => i.name === 'geomatics')).toMatchObject({ imageName: 'geomatics-notebook', streams: ['cpu'], upstream: false });
  });

  it('takes each stream parent from resolveParent: the pin for the cpu root, gpu-upstream for the gpu root', () => {
    const edges = hierarchyModel(workspaceGraph(), settings).edges.filter((edge) => edge.child === 'base');
    expect(edges).toEqual([
      { stream: 'cpu', child: 'base', parent: { kind: 'pinned', settingKey: 'UPSTREAM_CONTAINER_CPU', reference: 'quay.io/jupyter/datascience-notebook:abcdef123456', owner: 'cpu-upstream' } },
      { stream: 'gpu', child: 'base', parent: { kind: 'project', project: 'gpu-upstream' } },
    ]);
  });

  it('fails like a build would on a broken hierarchy, naming the project', () => {
    const graph = workspaceGraph();
    graph.orphan = image('orphan', null, ['cpu']);
    expect(() => hierarchyModel(graph, settings)).toThrow(BuildConfigurationError);
    expect(() => hierarchyModel(graph, settings)).toThrow(/orphan has no parent image/);

    const cyclic = workspaceGraph();
    cyclic.base = image('base', 'minimal', ['cpu', 'gpu']);
    expect(() => hierarchyModel(cyclic, settings)).toThrow(/cycle/);
  });
});

describe('summaryDot', () => {
  const dot = summaryDot(workspaceGraph(), settings);

  it('draws upstreams → base → minimal → leaves with the published names', () => {
    expect(dot).toContain('"pin:UPSTREAM_CONTAINER_CPU" -> "image:base" [label=" cpu"];');
    expect(dot).toContain('"image:gpu-upstream" -> "image:base" [label=" gpu"];');
    expect(dot).toContain('"image:base" -> "image:minimal";');
    for (const leaf of ['machine-learning', 'geomatics', 'r-studio']) expect(dot).toContain(`"image:minimal" -> "image:${leaf}";`);
    expect(dot).toContain('<B>quay.io/jupyter/datascience-notebook</B>');
    expect(dot).toContain('<B>upstream-equivalent-notebook</B>');
    expect(dot).toContain('<B>geomatics-notebook</B>');
    expect(dot).toContain('<B>r-studio</B>');
    expect(dot).toContain('{ rank=min; "pin:UPSTREAM_CONTAINER_CPU"; "image:gpu-upstream"; }');
  });

  it('names the cpu root after the upstream project that stands for its pin', () => {
    expect(dot).toMatch(/<B>quay\.io\/jupyter\/datascience-notebook<\/B>.*images\/cpu-upstream · cpu root/);
    expect(detailedDot(workspaceGraph(), settings)).toContain('images/cpu-upstream · UPSTREAM_CONTAINER_CPU in build_settings.env');
  });

  it('says which streams each image is built in, and leaves out projects that are not images', () => {
    expect(dot).toContain('images/geomatics · cpu only');
    expect(dot).toContain('images/machine-learning · cpu + gpu');
    expect(dot).not.toContain('nx-plugin');
  });

  it('does not depend on pins that change with every bump (only the untagged upstream)', () => {
    expect(dot).not.toContain('abcdef123456');
    expect(dot).not.toContain('1234567');
  });
});

describe('detailedDot', () => {
  const dot = detailedDot(workspaceGraph(), settings);

  it('puts a leaf without a gpu target in the cpu cluster only', () => {
    expect(cluster(dot, 'cpu')).toContain('"cpu/image:geomatics" [');
    expect(cluster(dot, 'cpu')).toContain('"cpu/image:minimal" -> "cpu/image:geomatics";');
    expect(dot).not.toContain('gpu/image:geomatics');
    expect(dot).not.toContain('gpu/image:r-studio');
    expect(cluster(dot, 'gpu')).toContain('"gpu/image:minimal" -> "gpu/image:machine-learning";');
  });

  it('starts the cpu stream at the pin and the gpu stream at the gpu-jupyter generation of gpu-upstream', () => {
    const cpu = cluster(dot, 'cpu');
    expect(cpu).toContain('"cpu/pin:UPSTREAM_CONTAINER_CPU" -> "cpu/image:base";');
    expect(cpu).toContain('<B>quay.io/jupyter/datascience-notebook</B>');
    expect(cpu).toContain('tag abcdef123456');
    expect(cpu).not.toContain('gpu-upstream');

    const gpu = cluster(dot, 'gpu');
    expect(gpu).toContain('"gpu/generator:gpu-jupyter" -> "gpu/image:gpu-upstream" [style=dashed, label=" Dockerfile"];');
    expect(gpu).toContain('"gpu/image:gpu-upstream" -> "gpu/image:base";');
    expect(gpu).toContain('github.com/iot-salzburg/gpu-jupyter @ 1234567<');
    expect(gpu).toContain('+ docker-stacks @ abcdef123456');
    expect(dot).toContain('github.com/jupyter/docker-stacks @ abcdef123456');
  });

  it('names every image as published in its stream', () => {
    expect(cluster(dot, 'cpu')).toContain('<B>machine-learning-notebook-cpu</B>');
    expect(cluster(dot, 'gpu')).toContain('<B>machine-learning-notebook-gpu</B>');
    expect(cluster(dot, 'gpu')).toContain('<B>upstream-equivalent-notebook-gpu</B>');
  });

  it('aligns an image of both streams at one height', () => {
    expect(dot).toContain('{ rank=same; "cpu/image:minimal"; "gpu/image:minimal"; }');
    expect(dot).not.toMatch(/rank=same; "cpu\/image:geomatics"/);
  });
});

describe('a new image', () => {
  it('appears under its parent in both figures and in the streams it has', () => {
    const graph = workspaceGraph();
    graph['deep-learning'] = image('deep-learning', 'minimal', ['cpu', 'gpu']);
    graph['gpu-tools'] = image('gpu-tools', 'minimal', ['gpu']);

    const summary = summaryDot(graph, settings);
    expect(summary).toContain('"image:minimal" -> "image:deep-learning";');
    expect(summary).toContain('<B>deep-learning-notebook</B>');
    expect(summary).toContain('"image:minimal" -> "image:gpu-tools";');
    expect(summary).toContain('images/gpu-tools · gpu only');
    expect(summary).toContain('orange: gpu only');

    const detailed = detailedDot(graph, settings);
    expect(cluster(detailed, 'cpu')).toContain('"cpu/image:minimal" -> "cpu/image:deep-learning";');
    expect(cluster(detailed, 'gpu')).toContain('"gpu/image:minimal" -> "gpu/image:deep-learning";');
    expect(cluster(detailed, 'gpu')).toContain('"gpu/image:minimal" -> "gpu/image:gpu-tools";');
    expect(detailed).not.toContain('cpu/image:gpu-tools');
  });
});

describe('determinism', () => {
  it('gives the same DOT whatever order the graph lists its projects in', () => {
    const graph = workspaceGraph();
    const reversed: ImageGraph = Object.fromEntries(Object.entries(graph).reverse());
    expect(summaryDot(reversed, settings)).toBe(summaryDot(graph, settings));
    expect(detailedDot(reversed, settings)).toBe(detailedDot(graph, settings));
  });
});

describe('label helpers', () => {
  it('splits references, shortens repositories and commits', () => {
    expect(displayReference('quay.io/jupyter/x:abc')).toEqual({ repository: 'quay.io/jupyter/x', tag: 'abc' });
    expect(displayReference('localhost:5000/x')).toEqual({ repository: 'localhost:5000/x', tag: '' });
    expect(displayReference(`x@sha256:${'0f'.repeat(32)}`)).toEqual({ repository: 'x', tag: `@sha256:${'0f'.repeat(32)}` });
    expect(displayReference(`busybox:1@sha256:${'0f'.repeat(32)}`)).toEqual({ repository: 'busybox', tag: `1@sha256:${'0f'.repeat(32)}` });
    expect(displayRepository('https://github.com/iot-salzburg/gpu-jupyter.git')).toBe('github.com/iot-salzburg/gpu-jupyter');
    expect(displayRepository('git@github.com:a/b.git')).toBe('github.com/a/b');
    expect(displayRepository('/srv/gpu-jupyter')).toBe('/srv/gpu-jupyter');
    expect(shortCommit('1234567890abcdef1234567890abcdef12345678')).toBe('1234567');
    expect(shortCommit('v1.10')).toBe('v1.10');
  });

  it('escapes what would break an HTML-like label', () => {
    const graph = workspaceGraph();
    graph.minimal = { ...graph.minimal, imageName: 'a<b>&"c' };
    expect(summaryDot(graph, settings)).toContain('<B>a&lt;b&gt;&amp;&quot;c</B>');
  });
});
