import { readFileSync } from 'node:fs';
import type { ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { descendantsOf, imageParent, imagesOf, middleImage, workspaceImageGraph } from './support/image-hierarchy';
import { createTempWorkspace, expectNxSuccess, type TempWorkspace } from './support/temp-workspace';

/** `nx affected` on real commits of a real git repository holding this workspace. */
describe('nx affected on real git history', () => {
  let workspace: TempWorkspace;
  let graph: ImageGraph;

  beforeAll(async () => {
    graph = await workspaceImageGraph();
    workspace = createTempWorkspace('kf-affected-');
  }, 120_000);
  afterAll(() => workspace?.remove());

  function affected(target: string): string[] {
    const result = workspace.nx(['show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--withTarget', target, '--json']);
    expectNxSuccess(result);
    return (JSON.parse(result.stdout) as string[]).sort();
  }

  it('a change to an image\'s Dockerfile affects it and the images below it, not its parent', () => {
    const middle = middleImage(graph, 'cpu');
    const dockerfile = `${graph[middle].root}/Dockerfile`;
    workspace.write(dockerfile, `${readFileSync(`${workspace.root}/${dockerfile}`, 'utf8')}\n# a change\n`);
    workspace.commit(`change ${middle}`);
    for (const stream of ['cpu', 'gpu'] as const) {
      const expected = graph[middle].targets.includes(`build-${stream}`) ? [middle, ...descendantsOf(graph, middle, stream)].sort() : [];
      expect(affected(`build-${stream}`)).toEqual(expected);
    }
    expect(affected('build-cpu')).not.toContain(imageParent(graph, middle, 'cpu'));
  }, 120_000);

  it('a change to build_settings.env affects every image', () => {
    workspace.write('build_settings.env', `${readFileSync(`${workspace.root}/build_settings.env`, 'utf8')}\n# a change\n`);
    workspace.commit('change settings');
    expect(affected('build-cpu')).toEqual(imagesOf(graph, 'cpu'));
    expect(affected('build-gpu')).toEqual(imagesOf(graph, 'gpu'));
  }, 120_000);

  it('moving a pin of one stream leaves every plan task of the other stream an Nx cache hit (project-level affected may still list them)', () => {
    const plan = (stream: 'cpu' | 'gpu') => {
      const result = workspace.nx(['run-many', '-t', `build-${stream}`, '-c', 'plan', '--output-style=static']);
      expectNxSuccess(result);
      return result.output;
    };
    const ran = (output: string, stream: 'cpu' | 'gpu', cached: boolean) =>
      imagesOf(graph, stream).filter((image) => new RegExp(`> nx run ${image}:build-${stream}:plan${cached ? '\\s+\\[(local|remote) cache\\]' : '\\s*$'}`, 'm').test(output));
    plan('cpu');
    plan('gpu');
    const settings = readFileSync(`${workspace.root}/build_settings.env`, 'utf8');
    expect(settings).toMatch(/^GPU_JUPYTER_HEAD_COMMIT=/m);
    workspace.write('build_settings.env', settings.replace(/^GPU_JUPYTER_HEAD_COMMIT=.*$/m, 'GPU_JUPYTER_HEAD_COMMIT=0000000000000000000000000000000000000001'));
    const cpu = plan('cpu');
    expect(ran(cpu, 'cpu', true)).toEqual(imagesOf(graph, 'cpu'));
    const gpu = plan('gpu');
    expect(ran(gpu, 'gpu', false)).toEqual(imagesOf(graph, 'gpu'));
    workspace.write('build_settings.env', settings);
  }, 300_000);

  it('a change to the top-level README affects no image', () => {
    workspace.write('README.md', 'changed\n');
    workspace.commit('change readme');
    expect(affected('build-cpu')).toEqual([]);
    expect(affected('build-gpu')).toEqual([]);
  }, 120_000);
});
