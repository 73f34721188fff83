import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { EngineName } from './container-engine';

/** A failed engine run, with what the engine printed so the failure can be classified. */
export class EngineRunError extends Error {
  constructor(
    readonly output: string,
    readonly exitCode: number | undefined,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'EngineRunError';
  }
}

function exitCodeOf(error: unknown): number | undefined {
  const code = (error as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === 'number' ? code : undefined;
}

/**
 * nx-container runs the engine with the terminal inherited and keeps none of
 * its output, so its error says only "exit status 1". To name the cause, `run`
 * sees the engine through a shim first on PATH that passes everything through
 * and copies the output of `build` / `buildx build` into a log (other subcommands are
 * exec'd untouched, their stdout is parsed by nx-container). PATH is restored after.
 */
export async function withEngineOutput<T>(engine: EngineName, run: () => Promise<T>): Promise<T> {
  const real = spawnSync('sh', ['-c', `command -v ${engine}`], { encoding: 'utf8' }).stdout.trim();
  if (!real) return run();
  const dir = mkdtempSync(join(tmpdir(), 'kf-engine-output-'));
  const log = join(dir, 'build.log');
  const shim = join(dir, engine);
  writeFileSync(
    shim,
    [
      '#!/bin/bash',
      'if [ "$1" = build ] || { [ "$1" = buildx ] && [ "$2" = build ]; }; then',
      `  ${JSON.stringify(real)} "$@" 2>&1 | tee -a ${JSON.stringify(log)}`,
      '  exit "${PIPESTATUS[0]}"',
      'fi',
      `exec ${JSON.stringify(real)} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(shim, 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${path ?? ''}`;
  try {
    return await run();
  } catch (error) {
    throw new EngineRunError(existsSync(log) ? readFileSync(log, 'utf8') : '', exitCodeOf(error), error);
  } finally {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  }
}
