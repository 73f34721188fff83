import { didYouMean } from '../did-you-mean';
import { BuildConfigurationError } from '../errors';

/** What an executor's schema.json declares: its options. */
export interface OptionsSchema {
  properties: Record<string, unknown>;
}

/** Where the option came from, for the message: the Nx command line, or the target's options in a project.json. */
export interface OptionSources {
  task: string;
  executor: string;
  /** The arguments of the Nx command. */
  commandArgs: string[];
  /** The project.json that configures the target, and the target's name. */
  projectFile: string;
  target: string;
}

const givenOnCommandLine = (name: string, args: string[]) => args.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));

/**
 * Refuses an option the executor's schema does not declare. The build
 * executor's schema admits any (Nx validates a batch's options outside any
 * error handling, so its refusal would be a stack trace): the check is here,
 * with the place and the fix.
 */
export function checkKnownOptions(options: object, schema: OptionsSchema, sources: OptionSources): void {
  const known = Object.keys(schema.properties);
  // Nx's own bookkeeping (__overrides_unparsed__) is not the user's.
  const unknown = Object.keys(options).filter((name) => !known.includes(name) && !name.startsWith('__'));
  if (unknown.length === 0) return;
  const [name] = unknown;
  const onCommandLine = givenOnCommandLine(name, sources.commandArgs);
  const place = onCommandLine
    ? `${sources.task}: --${name}`
    : `${sources.projectFile}: targets["${sources.target}"].options.${name}`;
  throw new BuildConfigurationError(
    `${place} is no option of the ${sources.executor} executor${didYouMean(name, known)}: ${onCommandLine ? 'leave it out' : 'remove it'} (its options: ${known.join(', ')})`,
  );
}
