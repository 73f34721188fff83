import { UPSTREAM_TAG, type ImageGraph, type ImageNode } from '../hierarchy/image-graph';
import type { BuildSettings } from '../settings/build-settings';
import { configurationErrorOf } from '../testing/configuration-error';
import { emptyChecks, type ImageChecks } from './checks-file';
import { checkSources, inheritChecks, type ChecksSource } from './inherited-checks';

const SETTINGS: BuildSettings = { file: 'build_settings.env', values: { UPSTREAM_CONTAINER_CPU: 'quay.io/jupyter/datascience-notebook:abc' } };

function node(name: string, deps: string[], targets: string[], tags = ['image:notebook']): ImageNode {
  return { name, root: `images/${name}`, implicitDependencies: deps, targets, tags, imageName: `${name}-notebook` };
}

function hierarchy(): ImageGraph {
  const both = ['build-cpu', 'build-gpu', 'test-cpu', 'test-gpu'];
  return {
    'gpu-upstream': node('gpu-upstream', [], ['build-gpu'], [UPSTREAM_TAG]),
    base: node('base', ['gpu-upstream'], both),
    minimal: node('minimal', ['base'], both),
    'machine-learning': node('machine-learning', ['minimal'], both),
    geomatics: node('geomatics', ['minimal'], ['build-cpu', 'test-cpu']),
  };
}

const DECLARED: Record<string, Partial<ImageChecks>> = {
  'images/base': { pythonImports: ['kfp'], commands: ['odbcinst -j'] },
  'images/minimal': { pythonImports: ['jupyterlab_git'], commands: ['kubectl version --client'] },
  'images/geomatics': { pythonImports: ['osgeo.gdal'], rImports: ['sf'], commands: ['gdalinfo --version'] },
  'images/machine-learning': {
    pythonImports: ['torch'],
    streams: { gpu: { pythonImports: [], rImports: [], commands: ['python -c "import torch; assert torch.version.cuda"'] } },
  },
};

function reader(root: string) {
  return { file: `${root}/tests/checks.json`, checks: { ...emptyChecks(), ...(DECLARED[root] ?? {}) } };
}

describe('checkSources', () => {
  it('walks the cpu chain root first: a child carries every ancestor', () => {
    expect(checkSources(hierarchy(), 'geomatics', 'cpu', SETTINGS, reader).map((s) => s.project)).toEqual(['base', 'minimal', 'geomatics']);
    expect(checkSources(hierarchy(), 'base', 'cpu', SETTINGS, reader).map((s) => s.project)).toEqual(['base']);
  });

  it('passes through gpu-upstream for the gpu stream (which declares nothing)', () => {
    const sources = checkSources(hierarchy(), 'machine-learning', 'gpu', SETTINGS, reader);
    expect(sources.map((s) => s.project)).toEqual(['gpu-upstream', 'base', 'minimal', 'machine-learning']);
    expect(sources[0].checks).toEqual({ pythonImports: [], rImports: [], commands: [] });
  });

  it("takes each image's section for the stream under test, and only that one", () => {
    const gpu = checkSources(hierarchy(), 'machine-learning', 'gpu', SETTINGS, reader).pop()!;
    expect(gpu.checks).toEqual({ pythonImports: ['torch'], rImports: [], commands: ['python -c "import torch; assert torch.version.cuda"'] });
    const cpu = checkSources(hierarchy(), 'machine-learning', 'cpu', SETTINGS, reader).pop()!;
    expect(cpu.checks).toEqual({ pythonImports: ['torch'], rImports: [], commands: [] });
    expect(inheritChecks(checkSources(hierarchy(), 'machine-learning', 'gpu', SETTINGS, reader)).pop()).toEqual({
      kind: 'command',
      subject: 'python -c "import torch; assert torch.version.cuda"',
      declaredBy: 'machine-learning',
      file: 'images/machine-learning/tests/checks.json',
    });
  });

  it('fails on a broken hierarchy the way builds do', () => {
    const graph = hierarchy();
    graph.base.implicitDependencies = ['machine-learning'];
    expect(configurationErrorOf(() => checkSources(graph, 'minimal', 'cpu', SETTINGS, reader)).message).toMatch(/cycle/);
  });
});

describe('inheritChecks', () => {
  it('orders checks root first, each image python, R, then commands, and remembers who declared them', () => {
    const checks = inheritChecks(checkSources(hierarchy(), 'geomatics', 'cpu', SETTINGS, reader));
    expect(checks.map((c) => `${c.declaredBy}:${c.kind}:${c.subject}`)).toEqual([
      'base:python:kfp',
      'base:command:odbcinst -j',
      'minimal:python:jupyterlab_git',
      'minimal:command:kubectl version --client',
      'geomatics:python:osgeo.gdal',
      'geomatics:r:sf',
      'geomatics:command:gdalinfo --version',
    ]);
    expect(checks[0].file).toBe('images/base/tests/checks.json');
  });

  it('runs a check declared again by a child once, credited to the ancestor', () => {
    const sources: ChecksSource[] = [
      { project: 'base', file: 'b.json', checks: { ...emptyChecks(), pythonImports: ['kfp'] } },
      { project: 'minimal', file: 'm.json', checks: { ...emptyChecks(), pythonImports: ['kfp', 'pylsp'], commands: [' true '] } },
    ];
    expect(inheritChecks(sources)).toEqual([
      { kind: 'python', subject: 'kfp', declaredBy: 'base', file: 'b.json' },
      { kind: 'python', subject: 'pylsp', declaredBy: 'minimal', file: 'm.json' },
      { kind: 'command', subject: 'true', declaredBy: 'minimal', file: 'm.json' },
    ]);
  });

  it('keeps the same subject under different kinds apart', () => {
    const sources: ChecksSource[] = [{ project: 'x', file: 'x.json', checks: { pythonImports: ['arrow'], rImports: ['arrow'], commands: [] } }];
    expect(inheritChecks(sources).map((c) => c.kind)).toEqual(['python', 'r']);
  });
});
