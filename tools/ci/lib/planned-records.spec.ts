import { UPSTREAM_TAG, type ImageGraph, type ImageNode } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import type { BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { planningOrder } from './planned-records';

const SETTINGS: BuildSettings = { file: 'build_settings.env', values: { UPSTREAM_CONTAINER_CPU: 'quay.io/jupyter/datascience-notebook:abc123def456' } };

function node(name: string, deps: string[], targets: string[], tags: string[] = ['image:notebook']): ImageNode {
  return { name, root: `images/${name}`, implicitDependencies: deps, targets, tags, imageName: `${name}-notebook` };
}

const BOTH = ['build-cpu', 'build-gpu'];
const IMAGES: ImageGraph = {
  'gpu-upstream': node('gpu-upstream', [], ['build-gpu'], [UPSTREAM_TAG]),
  base: node('base', ['gpu-upstream'], BOTH),
  minimal: node('minimal', ['base'], BOTH),
  'r-studio': node('r-studio', ['minimal'], ['build-cpu']),
  'machine-learning': node('machine-learning', ['minimal'], BOTH),
};

describe('planningOrder', () => {
  it('plans every ancestor before the build that reads its record', () => {
    expect(planningOrder(IMAGES, [{ project: 'r-studio', stream: 'cpu' }], SETTINGS)).toEqual([
      { project: 'base', stream: 'cpu' },
      { project: 'minimal', stream: 'cpu' },
      { project: 'r-studio', stream: 'cpu' },
    ]);
  });

  it('plans a shared ancestor once, and each stream along its own line', () => {
    const builds = [
      { project: 'machine-learning', stream: 'cpu' as const },
      { project: 'r-studio', stream: 'cpu' as const },
      { project: 'minimal', stream: 'gpu' as const },
    ];
    expect(planningOrder(IMAGES, builds, SETTINGS).map(({ project, stream }) => `${project}:${stream}`)).toEqual([
      'base:cpu',
      'minimal:cpu',
      'machine-learning:cpu',
      'r-studio:cpu',
      'gpu-upstream:gpu',
      'base:gpu',
      'minimal:gpu',
    ]);
  });

  it('refuses a build whose root has no parent to plan from, naming the setting', () => {
    expect(() => planningOrder(IMAGES, [{ project: 'minimal', stream: 'cpu' }], { file: 'build_settings.env', values: {} })).toThrow(
      /base:build-cpu is a root image .* UPSTREAM_CONTAINER_CPU/,
    );
  });
});
