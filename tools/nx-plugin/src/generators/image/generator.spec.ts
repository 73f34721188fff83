import { readJson, readProjectConfiguration, addProjectConfiguration, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { BuildConfigurationError } from '../../lib/errors';
import imageGenerator from './generator';

describe('image generator (in-memory tree)', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    // Like this workspace, no formatter is configured: formatFiles leaves the files as the templates write them.
    tree.delete('.oxfmtrc.json');
    addProjectConfiguration(tree, 'minimal', {
      root: 'images/minimal',
      implicitDependencies: ['base'],
      metadata: { imageName: 'minimal-notebook', streams: ['cpu', 'gpu'] },
    });
  });

  it('adds the project under images/ with its parent and metadata, and no target: the workspace plugin infers them', async () => {
    await imageGenerator(tree, { name: 'nlp', parent: 'minimal', streams: 'gpu,cpu' });
    const project = readProjectConfiguration(tree, 'nlp');
    expect(project.root).toBe('images/nlp');
    expect(project.implicitDependencies).toEqual(['minimal']);
    expect(project.metadata).toEqual({ imageName: 'nlp-notebook', streams: ['cpu', 'gpu'] });
    const written = readJson(tree, 'images/nlp/project.json');
    expect(Object.keys(written).sort()).toEqual(['$schema', 'implicitDependencies', 'metadata', 'name', 'projectType', 'tags']);
    expect(Object.values(written.targets ?? {}).filter((target) => Object.keys(target as object).length === 0)).toEqual([]);
    expect(tree.read('images/nlp/Dockerfile', 'utf8')).toMatch(/^# nlp-notebook: .*\n[\s\S]*ARG BASE_CONTAINER\nFROM \$BASE_CONTAINER\n[\s\S]*USER \$\{NB_UID\}\n$/);
    expect(readJson(tree, 'images/nlp/tests/checks.json')).toEqual({ pythonImports: [], rImports: [], commands: [] });
  });

  it('writes a README without a TODO: the description given, or a sentence from the options', async () => {
    await imageGenerator(tree, { name: 'nlp', parent: 'minimal', streams: 'cpu' });
    const readme = tree.read('images/nlp/README.md', 'utf8')!;
    expect(readme).not.toMatch(/TODO/);
    expect(readme).toContain('The minimal image (cpu) plus what images/nlp/Dockerfile installs; tests/checks.json lists what it promises.');
    expect(readme).toContain('`nlp-notebook-cpu`');

    await imageGenerator(tree, { name: 'maps', parent: 'minimal', streams: 'cpu', description: 'GIS tools for geographers.' });
    expect(tree.read('images/maps/README.md', 'utf8')).toContain('\nGIS tools for geographers.\n');
    expect(tree.read('images/maps/Dockerfile', 'utf8')).toMatch(/^# maps-notebook: GIS tools for geographers\.\n/);
  });

  it('refuses a parent without the requested stream and writes nothing', async () => {
    addProjectConfiguration(tree, 'r-studio', { root: 'images/r-studio', metadata: { imageName: 'r-studio', streams: ['cpu'] } });
    const error = await imageGenerator(tree, { name: 'maps', parent: 'r-studio', streams: 'cpu,gpu' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildConfigurationError);
    expect((error as Error).message).toBe(
      '--parent r-studio has no build-gpu target: choose a parent that exists in stream(s) gpu, or leave them out of --streams',
    );
    expect(tree.exists('images/maps')).toBe(false);
  });
});
