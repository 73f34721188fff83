/**
 * tools/ci/plan.ts on the real workspace: every image build on exactly one
 * level after its parent, and on a commit that changes one image, only it and
 * what builds on it (the rest promoted by content tag).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { isImageProject, toImageGraph, UPSTREAM_TAG, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parentChain, resolveParent } from '@kubeflow-images/plugin-lib/hierarchy/resolve-parent';
import { loadBuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import type { ImageJob } from '../ci/lib/image-levels';
import { createTempWorkspace, WORKSPACE_ROOT } from './support/temp-workspace';
import { buildTasks, ciScript, levelJobs, levelsOf, loadWorkflow as load } from './support/workflows';

jest.setTimeout(600_000);

/** A parent that is built by this run is built on an earlier level (the others come from the registry). */
function expectParentsFirst(levels: ImageJob[][]): void {
  const built = new Set(levels.flat().map((job) => job.task));
  const done = new Set<string>();
  for (const level of levels) {
    for (const job of level) {
      for (const parent of job.parents.split(' ').filter((task) => built.has(task))) {
        expect(`${job.task} after ${parent}: ${done.has(parent)}`).toBe(`${job.task} after ${parent}: true`);
      }
    }
    for (const job of level) done.add(job.task);
  }
}

describe('tools/ci/plan.ts on the real workspace', () => {
  const maxLevels = () => levelJobs(load('main.yml')).maxLevels;
  let images: ImageGraph;

  beforeAll(async () => {
    process.env.NX_DAEMON = 'false';
    process.chdir(WORKSPACE_ROOT);
    images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  }, 120_000);

  it('puts every image build on exactly one level, each after the image it builds FROM', () => {
    const outputs = ciScript(WORKSPACE_ROOT, 'plan.ts', ['--all', '--max-levels', String(maxLevels()), '--test-streams', 'cpu']);
    const levels = levelsOf(outputs, maxLevels());
    const jobs = levels.flat();
    expect(jobs.map((job) => job.task).sort()).toEqual(buildTasks(images));
    expect(JSON.parse(outputs.images).map((job: ImageJob) => job.task)).toEqual(jobs.map((job) => job.task));
    expect(outputs['retag-tasks']).toBe('');
    expect(outputs['built-tasks'].split(' ').sort()).toEqual(buildTasks(images));
    expectParentsFirst(levels);

    // The parents are the ones the build executor resolves, and the level is the depth of the chain.
    const settings = loadBuildSettings(WORKSPACE_ROOT);
    levels.forEach((level, depth) => {
      for (const job of level) {
        const parent = resolveParent(images, job.project, job.stream, settings);
        expect(`${job.task} <- ${job.parents}`).toBe(`${job.task} <- ${parent.kind === 'project' ? `${parent.project}:build-${job.stream}` : ''}`);
        expect(`${job.task} on level ${parentChain(images, job.project, job.stream, settings).length - 1}`).toBe(`${job.task} on level ${depth}`);
        expect(job.test).toBe(job.stream === 'cpu' && images[job.project].targets.includes('test-cpu') ? `${job.project}:test-cpu` : '');
      }
    });
  });

  it('on a commit that changes one image, builds it and what builds on it, and leaves the rest to the retag', () => {
    // The image with the most descendants that is neither a root nor an upstream: a change in the middle.
    const children = (name: string) => Object.values(images).filter((node) => isImageProject(node) && node.implicitDependencies.includes(name)).map((node) => node.name);
    const descendants = (name: string): string[] => children(name).flatMap((child) => [child, ...descendants(child)]);
    const middle = Object.values(images)
      .filter((node) => isImageProject(node) && !node.tags.includes(UPSTREAM_TAG) && children(node.name).length > 0)
      .filter((node) => node.implicitDependencies.some((dep) => isImageProject(images[dep]) && !images[dep].tags.includes(UPSTREAM_TAG)))
      .sort((a, b) => descendants(b.name).length - descendants(a.name).length)[0];
    expect(middle).toBeDefined();
    const workspace = createTempWorkspace('kf-wf-affected-');
    try {
      workspace.write(`${middle.root}/Dockerfile`, `${readFileSync(join(WORKSPACE_ROOT, middle.root, 'Dockerfile'), 'utf8')}\n# changed\n`);
      workspace.commit(`change ${middle.name}`);
      const outputs = ciScript(workspace.root, 'plan.ts', ['--max-levels', String(maxLevels())], { NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' });
      const levels = levelsOf(outputs, maxLevels());
      const affected = new Set([middle.name, ...descendants(middle.name)]);
      const expected = buildTasks(images).filter((task) => affected.has(task.split(':')[0]));
      expect(levels.flat().map((job) => job.task).sort()).toEqual(expected);
      expect(levels[0].map((job) => job.project)).toEqual(levels[0].map(() => middle.name));
      expectParentsFirst(levels);
      expect(outputs['retag-tasks'].split(' ').sort()).toEqual(buildTasks(images).filter((task) => !affected.has(task.split(':')[0])));
    } finally {
      workspace.remove();
    }
  });
});

