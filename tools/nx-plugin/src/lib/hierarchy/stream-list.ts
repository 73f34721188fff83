import { BuildConfigurationError } from '../errors';
import { STREAMS, type Stream } from './image-graph';

/**
 * The streams an option names ("gpu, cpu"), in STREAMS order without repeats.
 * `option` names the flag in the one-line error; an empty list is an error
 * unless the caller has a meaning for it (CI's "test no stream").
 */
export function parseStreams(text: string, option: string, { allowEmpty = false } = {}): Stream[] {
  const named = [...new Set(text.split(',').map((stream) => stream.trim()).filter(Boolean))];
  const unknown = named.filter((stream) => !STREAMS.includes(stream as Stream));
  if (unknown.length > 0 || (named.length === 0 && !allowEmpty)) {
    const problem = unknown.length > 0 ? `unknown stream(s) ${unknown.join(', ')}` : 'no stream';
    throw new BuildConfigurationError(`${option} "${text}": ${problem}: use ${STREAMS.join(', ')} or ${STREAMS.join(',')}`);
  }
  return STREAMS.filter((stream) => named.includes(stream));
}
