import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordIn } from './support/records';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';

/** `nx g @kubeflow-images/nx-plugin:image` through the real Nx CLI, then the new image in the graph, plan and lint. */
describe('image generator', () => {
  let workspace: TempWorkspace;

  const run = (args: string[]) => workspace.nxOk(args);

  beforeAll(() => {
    workspace = createTempWorkspace('kf-image-generator-');
    // The workspace's own settings and lock: the gpu plan needs no network (gpu-jupyter and docker-stacks are not reachable here).
    run(['g', '@kubeflow-images/nx-plugin:image', 'nlp', '--parent=minimal', '--streams=cpu,gpu', '--no-interactive']);
  }, 180_000);
  afterAll(() => workspace?.remove());

  it('writes the project under images/ with its parent, stream targets, Dockerfile, README and checks', () => {
    const project = JSON.parse(run(['show', 'project', 'nlp', '--json']).trim().split('\n').filter((l) => l.startsWith('{')).join(''));
    expect(project.root).toBe('images/nlp');
    expect(project.implicitDependencies).toEqual(['minimal']);
    expect(Object.keys(project.targets)).toEqual(expect.arrayContaining(['build-cpu', 'build-gpu', 'lint']));
    const dockerfile = readFileSync(join(workspace.root, 'images/nlp/Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ARG BASE_CONTAINER\nFROM \$BASE_CONTAINER/);
    expect(readFileSync(join(workspace.root, 'images/nlp/README.md'), 'utf8')).toMatch(/nlp-notebook-cpu/);
    expect(JSON.parse(readFileSync(join(workspace.root, 'images/nlp/tests/checks.json'), 'utf8'))).toHaveProperty('pythonImports');
  });

  it('appears in the graph under its parent', () => {
    const affected = JSON.parse(run(['show', 'projects', '--projects', 'nlp', '--withTarget', 'build-gpu', '--json']));
    expect(affected).toEqual(['nlp']);
    run(['graph', '--file=tmp/graph.json']);
    const graph = JSON.parse(readFileSync(join(workspace.root, 'tmp/graph.json'), 'utf8')).graph;
    expect(graph.dependencies.nlp).toEqual([expect.objectContaining({ target: 'minimal', type: 'implicit' })]);
  });

  it('plans in both streams on the parent of the same stream', () => {
    run(['run', 'nlp:build-cpu', '-c', 'plan']);
    run(['run', 'nlp:build-gpu', '-c', 'plan']);
    for (const stream of ['cpu', 'gpu']) {
      const record = readRecordIn(workspace.root, 'nlp', stream)!;
      expect(record).toMatchObject({ project: 'nlp', stream, planned: true });
      expect(record.image).toMatch(new RegExp(`^nlp-notebook-${stream}:content-[0-9a-f]{24}$`));
      expect(record.parent).toBe(readRecordIn(workspace.root, 'minimal', stream)!.image);
    }
  });

  it('passes lint', () => {
    expect(run(['run', 'nlp:lint'])).not.toMatch(/ERROR|error/);
  });

  it('refuses a stream the parent lacks, with the fix, and writes nothing', () => {
    const result = workspace.nx(['g', '@kubeflow-images/nx-plugin:image', 'maps', '--parent=geomatics', '--streams=gpu', '--no-interactive']);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/--parent geomatics has no build-gpu target/);
    expect(() => readFileSync(join(workspace.root, 'images/maps/project.json'))).toThrow();
  });
});
