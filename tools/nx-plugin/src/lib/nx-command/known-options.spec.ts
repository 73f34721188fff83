import { configurationErrorOf } from '../testing/configuration-error';
import { checkKnownOptions, type OptionSources } from './known-options';

const SCHEMA = { properties: { stream: {}, buildArgs: {}, plan: {} } };
const sources = (commandArgs: string[]): OptionSources => ({
  task: 'base:build-cpu',
  executor: 'build',
  commandArgs: ['node', 'nx', 'run', 'base:build-cpu', ...commandArgs],
  projectFile: 'images/base/project.json',
  target: 'build-cpu',
});

describe('checkKnownOptions', () => {
  it("accepts the schema's options and Nx's own bookkeeping", () => {
    expect(() => checkKnownOptions({ stream: 'cpu', plan: true, __overrides_unparsed__: ['--plan'] }, SCHEMA, sources(['--plan']))).not.toThrow();
  });

  it('names an unknown option given on the command line, the likely name and the options there are', () => {
    expect(configurationErrorOf(() => checkKnownOptions({ stream: 'cpu', buildArg: 'x' }, SCHEMA, sources(['--buildArg=x']))).message).toBe(
      'base:build-cpu: --buildArg is no option of the build executor (did you mean buildArgs?): leave it out (its options: stream, buildArgs, plan)',
    );
  });

  it("names an unknown option of the target's options in its project.json", () => {
    expect(configurationErrorOf(() => checkKnownOptions({ stream: 'cpu', foo: 'bar' }, SCHEMA, sources([]))).message).toBe(
      'images/base/project.json: targets["build-cpu"].options.foo is no option of the build executor: remove it (its options: stream, buildArgs, plan)',
    );
  });
});
