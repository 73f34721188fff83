import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateDependenciesContext, ProjectConfiguration } from '@nx/devkit';
import { createDependencies } from './check-hierarchy';

const image = (name: string, implicitDependencies: string[], tags = ['image:notebook']): ProjectConfiguration => ({
  name,
  root: `images/${name}`,
  implicitDependencies,
  tags,
  targets: { 'build-cpu': {} },
});

const upstream: ProjectConfiguration = { name: 'upstream', root: 'images/upstream', tags: ['image:upstream'], targets: { 'build-gpu': {} } };
const base = image('base', ['upstream']);

describe('createDependencies (graph-time hierarchy check)', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'check-hierarchy-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const run = (projects: ProjectConfiguration[]) =>
    createDependencies(undefined, {
      projects: Object.fromEntries(projects.map((p) => [p.name!, p])),
      workspaceRoot: root,
    } as unknown as CreateDependenciesContext);

  it('adds no edges to a sound hierarchy', async () => {
    expect(await run([upstream, base, image('minimal', ['base'])])).toEqual([]);
  });

  it('names a misspelled parent that Nx dropped, reading it back from project.json', () => {
    mkdirSync(join(root, 'images/minimal'), { recursive: true });
    writeFileSync(join(root, 'images/minimal/project.json'), JSON.stringify({ implicitDependencies: ['bsae'] }));
    expect(() => run([upstream, base, image('minimal', [])])).toThrow(
      'images/minimal/project.json: implicitDependencies names unknown project "bsae" (did you mean base?): fix the name or create the project',
    );
  });

  it('fails on a cycle', () => {
    expect(() => run([image('a', ['b']), image('b', ['a'])])).toThrow('the image hierarchy has a cycle (a -> b -> a)');
  });
});
