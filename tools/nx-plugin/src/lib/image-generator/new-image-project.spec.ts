import type { ProjectConfiguration } from '@nx/devkit';
import { configurationErrorOf } from '../testing/configuration-error';
import { parseStreams } from '../hierarchy/stream-list';
import { planNewImage, targetsFor } from './new-image-project';

const project = (name: string, targets: string[]): ProjectConfiguration => ({
  name,
  root: `images/${name}`,
  targets: Object.fromEntries(targets.map((target) => [target, {}])),
});

const EXISTING = {
  minimal: project('minimal', ['build-cpu', 'build-gpu', 'test-cpu', 'test-gpu', 'lint']),
  geomatics: project('geomatics', ['build-cpu', 'test-cpu', 'lint']),
};
const DEFAULTS = ['build-cpu', 'build-gpu', 'test-cpu', 'test-gpu', 'serve-cpu', 'serve-gpu', 'lint'];

describe('planNewImage', () => {
  it('names the parent as the one implicit dependency and gives the targets of its streams', () => {
    const plan = planNewImage({ name: 'nlp', parent: 'minimal', streams: 'gpu,cpu' }, EXISTING, DEFAULTS);
    expect(plan.root).toBe('images/nlp');
    expect(plan.streams).toEqual(['cpu', 'gpu']);
    expect(plan.configuration.implicitDependencies).toEqual(['minimal']);
    expect(plan.configuration.metadata).toEqual({ imageName: 'nlp-notebook' });
    expect(Object.keys(plan.configuration.targets!)).toEqual([
      'build-cpu', 'build-gpu', 'serve-cpu', 'serve-gpu', 'test-cpu', 'test-gpu', 'lint',
    ]);
  });

  it('gives a cpu-only image no gpu target', () => {
    const plan = planNewImage({ name: 'spatial-r', parent: 'geomatics', streams: 'cpu', imageName: 'spatial-r' }, EXISTING, DEFAULTS);
    expect(Object.keys(plan.configuration.targets!).filter((t) => t.endsWith('-gpu'))).toEqual([]);
    expect(plan.imageName).toBe('spatial-r');
  });

  it('refuses a stream the parent does not have, naming the parent and the target', () => {
    const error = configurationErrorOf(() => planNewImage({ name: 'x', parent: 'geomatics', streams: 'cpu,gpu' }, EXISTING, DEFAULTS));
    expect(error.message).toMatch(/--parent geomatics has no build-gpu target/);
  });

  it('refuses an unknown parent, an existing name and a bad name', () => {
    expect(configurationErrorOf(() => planNewImage({ name: 'x', parent: 'nope', streams: 'cpu' }, EXISTING, DEFAULTS)).message).toMatch(/--parent nope: no such project/);
    expect(configurationErrorOf(() => planNewImage({ name: 'minimal', parent: 'minimal', streams: 'cpu' }, EXISTING, DEFAULTS)).message).toMatch(/exists at images\/minimal/);
    expect(configurationErrorOf(() => planNewImage({ name: 'My_Image', parent: 'minimal', streams: 'cpu' }, EXISTING, DEFAULTS)).message).toMatch(/lower case/);
  });

  it('refuses an image name no engine accepts before writing anything', () => {
    expect(configurationErrorOf(() => planNewImage({ name: 'x', parent: 'minimal', streams: 'cpu', imageName: 'Bad Name!' }, EXISTING, DEFAULTS)).message).toMatch(
      /^--imageName="Bad Name!" is not an image name \("Bad Name!" is not a valid path component\): use lower-case letters/,
    );
  });
});

describe('parseStreams / targetsFor', () => {
  it('accepts cpu, gpu and both, in stream order', () => {
    expect(parseStreams('gpu, cpu', '--streams')).toEqual(['cpu', 'gpu']);
    expect(configurationErrorOf(() => parseStreams('tpu', '--streams')).message).toMatch(/use cpu, gpu or cpu,gpu/);
    expect(configurationErrorOf(() => parseStreams('', '--streams')).message).toMatch(/use cpu, gpu/);
  });

  it('takes stream-less targets only when the parent has them', () => {
    expect(targetsFor(['cpu'], ['build-cpu', 'lint', 'parity'], ['build-cpu', 'lint'])).toEqual(['build-cpu', 'lint']);
  });
});
