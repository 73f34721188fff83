import type { ProjectConfiguration } from '@nx/devkit';
import { configurationErrorOf } from '../testing/configuration-error';
import { parseStreams } from '../hierarchy/stream-list';
import { planNewImage } from './new-image-project';

const project = (name: string, streams: string[]): ProjectConfiguration => ({
  name,
  root: `images/${name}`,
  metadata: { imageName: `${name}-notebook`, streams },
});

const EXISTING = {
  minimal: project('minimal', ['cpu', 'gpu']),
  geomatics: project('geomatics', ['cpu']),
};

describe('planNewImage', () => {
  it('refuses an --imageName another project is published under', () => {
    expect(configurationErrorOf(() => planNewImage({ name: 'geo2', parent: 'minimal', streams: 'cpu', imageName: 'geomatics-notebook' }, EXISTING)).message).toBe(
      '--imageName geomatics-notebook: geomatics (images/geomatics/project.json) is published under that name already; choose another --imageName',
    );
  });

  it('names the parent as the one implicit dependency and its streams in metadata, with no target', () => {
    const plan = planNewImage({ name: 'nlp', parent: 'minimal', streams: 'gpu,cpu' }, EXISTING);
    expect(plan.root).toBe('images/nlp');
    expect(plan.streams).toEqual(['cpu', 'gpu']);
    expect(plan.configuration.implicitDependencies).toEqual(['minimal']);
    expect(plan.configuration.metadata).toEqual({ imageName: 'nlp-notebook', streams: ['cpu', 'gpu'] });
    expect(plan.configuration.targets).toBeUndefined();
  });

  it('gives a cpu-only image only the cpu stream', () => {
    const plan = planNewImage({ name: 'spatial-r', parent: 'geomatics', streams: 'cpu', imageName: 'spatial-r' }, EXISTING);
    expect(plan.configuration.metadata).toEqual({ imageName: 'spatial-r', streams: ['cpu'] });
    expect(plan.imageName).toBe('spatial-r');
  });

  it('refuses a stream the parent does not have, naming the parent and the target', () => {
    const error = configurationErrorOf(() => planNewImage({ name: 'x', parent: 'geomatics', streams: 'cpu,gpu' }, EXISTING));
    expect(error.message).toMatch(/--parent geomatics has no build-gpu target/);
  });

  it('refuses an unknown parent, an existing name and a bad name', () => {
    expect(configurationErrorOf(() => planNewImage({ name: 'x', parent: 'nope', streams: 'cpu' }, EXISTING)).message).toMatch(/--parent nope: no such project/);
    expect(configurationErrorOf(() => planNewImage({ name: 'minimal', parent: 'minimal', streams: 'cpu' }, EXISTING)).message).toMatch(/exists at images\/minimal/);
    expect(configurationErrorOf(() => planNewImage({ name: 'My_Image', parent: 'minimal', streams: 'cpu' }, EXISTING)).message).toMatch(/lower case/);
  });

  it('refuses an image name no engine accepts before writing anything', () => {
    expect(configurationErrorOf(() => planNewImage({ name: 'x', parent: 'minimal', streams: 'cpu', imageName: 'Bad Name!' }, EXISTING)).message).toMatch(
      /^--imageName="Bad Name!" is not an image name \("Bad Name!" is not a valid path component\): use lower-case letters/,
    );
  });
});

describe('parseStreams', () => {
  it('accepts cpu, gpu and both, in stream order', () => {
    expect(parseStreams('gpu, cpu', '--streams')).toEqual(['cpu', 'gpu']);
    expect(configurationErrorOf(() => parseStreams('tpu', '--streams')).message).toMatch(/use cpu, gpu or cpu,gpu/);
    expect(configurationErrorOf(() => parseStreams('', '--streams')).message).toMatch(/use cpu, gpu/);
  });
});
