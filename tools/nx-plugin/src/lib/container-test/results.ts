import type { CheckResult } from './check-definitions';

function oneLine(text: string, max = 400): string {
  const flat = text.replace(/\s*\n\s*/g, ' | ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)}s)`;
}

function origin(result: CheckResult, project: string): string {
  if (!result.file) return '';
  return result.declaredBy && result.declaredBy !== project ? ` [inherited from ${result.declaredBy}, ${result.file}]` : ` [${result.file}]`;
}

/** One line for a failed check: the image, the check, where it was declared, what happened and the fix. */
export function formatFailure(image: string, project: string, result: CheckResult): string {
  return oneLine(`✗ ${image}: ${result.label}${origin(result, project)}: ${result.detail ?? 'failed'}. Fix: ${result.fix ?? 'see above'}`, 1000);
}

export function formatPass(project: string, result: CheckResult): string {
  return `✓ ${result.label}${origin(result, project)}${seconds(result.durationMs)}`;
}

/** The closing line of a test run. */
export function formatSummary(task: string, image: string, results: CheckResult[]): string {
  const failed = results.filter((result) => !result.ok).length;
  return failed === 0
    ? `${task}: all ${results.length} checks passed on ${image}`
    : `${task}: ${failed} of ${results.length} checks failed on ${image}`;
}

/** A container log, indented under the failure it explains, its last lines only. */
export function formatContainerLog(name: string, log: string, maxLines = 60): string[] {
  const lines = log.replace(/\s+$/, '').split('\n');
  const shown = lines.slice(-maxLines);
  const header =
    lines.length > shown.length
      ? `  container log of ${name} (last ${shown.length} of ${lines.length} lines):`
      : `  container log of ${name}:`;
  return log.trim() === '' ? [`  container log of ${name}: (empty)`] : [header, ...shown.map((line) => `  | ${line}`)];
}
