import { execFileSync } from 'node:child_process';

/** Runs git and returns its trimmed output. Git never prompts for credentials: a build must fail, not hang. */
export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
