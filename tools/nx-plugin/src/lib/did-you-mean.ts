import { closest, distance } from 'fastest-levenshtein';

/** ` (did you mean X?)` when one candidate is a plausible typo of `name`, else ''. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(name, candidates as string[]);
  // A third of the length catches transpositions and dropped letters without suggesting unrelated names.
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : '';
}
