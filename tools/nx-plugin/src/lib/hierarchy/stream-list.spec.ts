import { BuildConfigurationError } from '../errors';
import { parseStreams } from './stream-list';

describe('parseStreams', () => {
  it('reads a comma-separated list in stream order, without repeats', () => {
    expect(parseStreams('gpu, cpu', '--streams')).toEqual(['cpu', 'gpu']);
    expect(parseStreams('cpu,cpu', '--streams')).toEqual(['cpu']);
  });

  it('names the option and the unknown stream in one line', () => {
    expect(() => parseStreams('cpu,tpu', '--test-streams')).toThrow(BuildConfigurationError);
    expect(() => parseStreams('cpu,tpu', '--test-streams')).toThrow('--test-streams "cpu,tpu": unknown stream(s) tpu: use cpu, gpu or cpu,gpu');
  });

  it('refuses an empty list unless the caller allows it', () => {
    expect(() => parseStreams(' , ', '--streams')).toThrow('--streams " , ": no stream: use cpu, gpu or cpu,gpu');
    expect(parseStreams('', '--test-streams', { allowEmpty: true })).toEqual([]);
  });
});
