import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';

/**
 * The settings text with `key`'s value replaced and every other byte kept
 * (comments, blank lines, order, the other values and their `$VAR`
 * references): a reviewer's diff is the one line that moved.
 */
export function withSettingValue(text: string, key: string, value: string, file: string): string {
  const line = new RegExp(`^(\\s*(?:export\\s+)?${key}\\s*=)(.*)$`, 'gm');
  const matches = [...text.matchAll(line)];
  if (matches.length !== 1) {
    throw new BuildConfigurationError(`${file} ${matches.length === 0 ? 'does not set' : 'sets more than once'} ${key}: keep exactly one ${key}=<value> line`);
  }
  const quote = /^\s*(["'])/.exec(matches[0][2])?.[1] ?? '';
  return text.replace(line, (_, assignment: string) => `${assignment}${quote}${value}${quote}`);
}
