import { assertValidTag } from '../registry/image-reference';
import type { ImageGraph } from '../hierarchy/image-graph';
import { configurationErrorOf } from '../testing/configuration-error';
import { checkPublishedNames, imageRepository, tagFromBranch } from './image-names';

describe('checkPublishedNames', () => {
  const graph = (leafName: string): ImageGraph => ({
    base: { name: 'base', root: 'images/base', implicitDependencies: [], targets: ['build-cpu', 'build-gpu'], tags: [], imageName: 'base-notebook' },
    leaf: { name: 'leaf', root: 'images/leaf', implicitDependencies: ['base'], targets: ['build-cpu'], tags: [], imageName: leafName },
  });
  const registry = `registry.example.com/${'team/'.repeat(10)}`.slice(0, -1);

  it('accepts names that fit with the registry and stream suffix', () => {
    expect(() => checkPublishedNames(graph('a'.repeat(200)), 'localhost:5000')).not.toThrow();
  });

  it("names the image whose full name is too long, whichever image's build asks, with the length it may have", () => {
    const name = 'a'.repeat(200);
    const full = `${registry}/${name}-cpu`;
    expect(configurationErrorOf(() => checkPublishedNames(graph(name), registry)).message).toBe(
      `images/leaf/project.json: metadata.imageName makes "${full.slice(0, 40)}…${full.slice(-12)} (${full.length} characters)" ${full.length} characters long, over the limit of 255 for registry, name and -cpu suffix together: shorten imageName to at most ${255 - registry.length - 5} characters or use a shorter registry`,
    );
  });
});


describe('imageRepository', () => {
  it('prefixes the registry and suffixes the stream', () => {
    expect(imageRepository('myacr.azurecr.io', 'minimal-notebook', 'cpu')).toBe('myacr.azurecr.io/minimal-notebook-cpu');
    expect(imageRepository('localhost:5000', 'machine-learning-notebook', 'gpu')).toBe(
      'localhost:5000/machine-learning-notebook-gpu',
    );
  });

  it('drops trailing slashes of the registry', () => {
    expect(imageRepository('myacr.azurecr.io/', 'minimal-notebook', 'cpu')).toBe('myacr.azurecr.io/minimal-notebook-cpu');
    expect(imageRepository('myacr.azurecr.io//', 'r-studio', 'cpu')).toBe('myacr.azurecr.io/r-studio-cpu');
  });

  it('keeps a registry with a namespace path', () => {
    expect(imageRepository('myacr.azurecr.io/team', 'base-notebook', 'gpu')).toBe('myacr.azurecr.io/team/base-notebook-gpu');
  });

  it('is a local name without a registry', () => {
    expect(imageRepository('', 'minimal-notebook', 'cpu')).toBe('minimal-notebook-cpu');
    expect(imageRepository('', 'geomatics-notebook', 'gpu')).toBe('geomatics-notebook-gpu');
  });
});

describe('tagFromBranch', () => {
  it.each([
    ['main', 'main'],
    ['release-v1.2_rc', 'release-v1.2_rc'],
    ['', 'detached'],
  ])('keeps a branch that already is a valid tag: %s → %s', (branch, tag) => {
    expect(tagFromBranch(branch)).toBe(tag);
  });

  it.each([
    ['feature/x', /^feature-x-[0-9a-f]{8}$/],
    ['user/feat//two words', /^user-feat-two-words-[0-9a-f]{8}$/],
    ['-leading', /^leading-[0-9a-f]{8}$/],
    ['///', /^[0-9a-f]{8}$/],
  ])('sanitises %s and adds a hash of the real name', (branch, tag) => {
    expect(tagFromBranch(branch)).toMatch(tag);
  });

  it('gives different branches different tags even when they sanitise alike', () => {
    const branches = ['feature/a b', 'feature/a-b', 'feature-a-b', 'feature/a--b', 'Feature/a b'];
    expect(new Set(branches.map(tagFromBranch)).size).toBe(branches.length);
    expect(tagFromBranch(`x/${'a'.repeat(300)}`)).not.toBe(tagFromBranch(`x/${'a'.repeat(301)}`));
  });

  it('always gives a valid tag of at most 128 characters', () => {
    for (const branch of ['feature/x', '.hidden', `x/${'a'.repeat(300)}`, 'ünïcode/bränch']) {
      const tag = tagFromBranch(branch);
      expect(tag.length).toBeLessThanOrEqual(128);
      expect(() => assertValidTag(tag, 'branch')).not.toThrow();
    }
  });
});
