import { didYouMean } from './did-you-mean';

describe('didYouMean', () => {
  it('suggests the nearest candidate for a typo', () => {
    expect(didYouMean('IMAGE_REGISTERY', ['IMAGE_REGISTRY', 'IMAGE_ENGINE'])).toBe(' (did you mean IMAGE_REGISTRY?)');
    expect(didYouMean('bsae', ['base', 'minimal'])).toBe(' (did you mean base?)');
  });

  it('suggests nothing for an unrelated name or no candidates', () => {
    expect(didYouMean('COMPLETELY_DIFFERENT', ['IMAGE_REGISTRY'])).toBe('');
    expect(didYouMean('x', [])).toBe('');
  });
});
