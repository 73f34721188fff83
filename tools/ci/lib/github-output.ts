import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/**
 * Step outputs in the multi-line form GitHub documents for $GITHUB_OUTPUT
 * (name<<DELIMITER, value, DELIMITER), so that no value can end the block early.
 */
export function formatStepOutputs(values: Record<string, string>, delimiter = `ci_${randomBytes(12).toString('hex')}`): string {
  return Object.entries(values)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new Error(`"${name}" is not a valid step output name`);
      if (value.split('\n').includes(delimiter)) throw new Error(`the value of ${name} contains the delimiter`);
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/**
 * Writes step outputs when running in GitHub Actions ($GITHUB_OUTPUT set);
 * elsewhere prints them, so the scripts can be run by hand to see what CI would do.
 */
export function writeStepOutputs(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, formatStepOutputs(values));
  else for (const [name, value] of Object.entries(values)) console.log(`${name}=${value}`);
}

/** Appends Markdown to the job summary when running in GitHub Actions. */
export function writeStepSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${markdown.trimEnd()}\n`);
}

/** Reads a $GITHUB_OUTPUT file back (for tests and for running the scripts by hand). */
export function parseStepOutputs(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([A-Za-z_][A-Za-z0-9_-]*)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`output ${heredoc[1]} is not terminated by ${heredoc[2]}`);
      values[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const simple = /^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$/.exec(lines[i]);
    if (simple) values[simple[1]] = simple[2];
  }
  return values;
}
