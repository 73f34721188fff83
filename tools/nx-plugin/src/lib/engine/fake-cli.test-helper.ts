import type { Cli, CliResult, EngineName } from './engine-cli';

export type FakeAnswer = Partial<CliResult> | ((args: string[]) => Partial<CliResult>);

/** A container CLI that answers by command prefix ("exec", "image inspect", ...) and records every call. */
export function fakeCli(name: EngineName, answers: Record<string, FakeAnswer> = {}) {
  const calls: string[][] = [];
  const cli: Cli & { calls: string[][] } = {
    name,
    calls,
    async run(args) {
      calls.push(args);
      const key = Object.keys(answers)
        .filter((prefix) => args.join(' ').startsWith(prefix))
        .sort((a, b) => b.length - a.length)[0];
      const answer = key === undefined ? {} : answers[key];
      const partial = typeof answer === 'function' ? answer(args) : answer;
      return { code: 0, stdout: '', stderr: '', timedOut: false, ...partial };
    },
  };
  return cli;
}
