import { BuildConfigurationError, quoted } from '../errors';

/**
 * How many tasks of a batch run at once, as Nx would bound them. Nx hands a
 * batch neither its --parallel nor the command line, so it is read from the
 * Nx command's arguments (`nxArgs`, the parent process's), then NX_PARALLEL,
 * then nx.json's `parallel`, then Nx's default of 3.
 */
export function batchConcurrency(nxArgs: string[], env: NodeJS.ProcessEnv, nxJsonParallel: number | undefined): number {
  const fallback = positive(env.NX_PARALLEL) ?? (typeof nxJsonParallel === 'number' ? positive(String(nxJsonParallel)) : undefined) ?? 3;
  const parallel = optionValue(nxArgs, 'parallel');
  if (parallel === undefined) return fallback;
  if (parallel === 'false') return 1;
  if (parallel === 'true' || parallel === '') return positive(optionValue(nxArgs, 'maxParallel') ?? optionValue(nxArgs, 'max-parallel')) ?? fallback;
  return positive(parallel) ?? fallback;
}

/**
 * Nx takes `--parallel=0` and runs nothing, exiting 0, and fails on a
 * non-numeric NX_PARALLEL with an internal error; refuse both first, naming
 * the option and the fix. `nxArgs` are the Nx command's arguments, if known.
 */
export function checkParallelism(nxArgs: string[], env: NodeJS.ProcessEnv): void {
  const fix = 'use a whole number of 1 or more';
  for (const name of ['parallel', 'maxParallel', 'max-parallel']) {
    const value = optionValue(nxArgs, name);
    if (value === undefined || value === '' || (name === 'parallel' && (value === 'true' || value === 'false')) || positive(value) !== undefined) continue;
    throw new BuildConfigurationError(`--${name}=${value} is not a number of tasks to run at once (Nx would run none): ${fix}, or leave it out`);
  }
  const fromEnv = env.NX_PARALLEL;
  if (fromEnv !== undefined && fromEnv !== '' && positive(fromEnv) === undefined) {
    throw new BuildConfigurationError(`environment variable NX_PARALLEL=${quoted(fromEnv)} is not a number of tasks to run at once: ${fix}, or unset it`);
  }
}

/** `--name=value`, `--name value`, or '' for a bare `--name`; the last one given wins, as in yargs. */
function optionValue(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (args[i].startsWith(`--${name}=`)) value = args[i].slice(name.length + 3);
    else if (args[i] === `--${name}`) value = args[i + 1] !== undefined && !args[i + 1].startsWith('-') ? args[++i] : '';
  }
  return value;
}

function positive(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}
