/** One line of dist/bench/results.json. Extra fields say how a number was measured. */
export interface ScenarioResult {
  scenario: 'cold' | 'noop' | 'leaf-change' | 'minimal-change' | 'fresh-runner' | 'pruned-engine';
  rebuilt: string[];
  wall_s: number;
  pulled_bytes: number;
  /** null where the scripts' way has nothing comparable. */
  baseline_wall_s: number | null;
  baseline_pulled_bytes: number | null;
  [extra: string]: unknown;
}

export interface TargetResult {
  target: string;
  pass: boolean;
  measured: string;
}

export interface TargetInputs {
  nxVersionSeconds: number;
  criticalPathSeconds: number;
  criticalPath: string[];
  /** Repositories of the baseline's images that the fresh-runner baseline fetched layers of, and how many there are. */
  baselineRepositoriesPulled: number;
  baselineRepositories: number;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function evaluateTargets(results: ScenarioResult[], inputs: TargetInputs): TargetResult[] {
  const get = (scenario: ScenarioResult['scenario']) => {
    const found = results.find((result) => result.scenario === scenario);
    if (!found) throw new Error(`no result for scenario ${scenario}`);
    return found;
  };
  const noop = get('noop');
  const leaf = get('leaf-change');
  const cold = get('cold');
  const fresh = get('fresh-runner');
  const pruned = results.find((result) => result.scenario === 'pruned-engine');
  const overhead = noop.wall_s - inputs.nxVersionSeconds;
  const coldRatio = inputs.criticalPathSeconds > 0 ? cold.wall_s / inputs.criticalPathSeconds : Infinity;
  return [
    {
      target: 'noop within 0.5 s of `nx --version`',
      pass: overhead <= 0.5,
      measured: `noop ${noop.wall_s.toFixed(2)} s - nx --version ${inputs.nxVersionSeconds.toFixed(2)} s = ${overhead.toFixed(2)} s`,
    },
    {
      target: 'leaf-change rebuilds exactly one image',
      pass: leaf.rebuilt.length === 1,
      measured: `${leaf.rebuilt.length} rebuilt (${leaf.rebuilt.join(', ') || 'none'})`,
    },
    {
      target: 'cold within 1.2x of the critical path',
      pass: coldRatio <= 1.2,
      measured: `${cold.wall_s.toFixed(2)} s / ${inputs.criticalPathSeconds.toFixed(2)} s (${inputs.criticalPath.join(' > ')}) = ${coldRatio.toFixed(2)}x`,
    },
    {
      target: 'fresh-runner: 0 rebuilt, 0 bytes pulled; baseline pulls every image',
      pass: fresh.rebuilt.length === 0 && fresh.pulled_bytes === 0 && inputs.baselineRepositoriesPulled === inputs.baselineRepositories,
      measured: `${fresh.rebuilt.length} rebuilt, ${fresh.pulled_bytes} B pulled; baseline pulled layers of ${inputs.baselineRepositoriesPulled}/${inputs.baselineRepositories} images (${fresh.baseline_pulled_bytes} B)`,
    },
    ...(pruned ? [prunedEngineTarget(pruned)] : []),
  ];
}

function prunedEngineTarget(pruned: ScenarioResult): TargetResult {
  const pulledRepositories = (pruned.pulled_repositories as string[] | undefined) ?? [];
  const expected = (pruned.expected_pulled_repositories as string[] | undefined) ?? [];
  return {
    target: 'pruned-engine rebuilds exactly the changed leaf and pulls only its parent',
    pass: pruned.rebuilt.length === 1 && pruned.rebuilt[0] === pruned.changed && JSON.stringify(pulledRepositories) === JSON.stringify(expected),
    measured: `${pruned.rebuilt.length} rebuilt (${pruned.rebuilt.join(', ') || 'none'}); pulled from ${pulledRepositories.join(', ') || 'nothing'}`,
  };
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function resultsTable(results: ScenarioResult[]): string {
  return formatTable(
    ['scenario', 'rebuilt', 'wall_s', 'baseline_wall_s', 'pulled_bytes', 'baseline_pulled_bytes'],
    results.map((result) => [
      result.scenario,
      result.rebuilt.length === 0 ? '0' : `${result.rebuilt.length} (${result.rebuilt.join(', ')})`,
      result.wall_s.toFixed(2),
      result.baseline_wall_s === null ? '-' : result.baseline_wall_s.toFixed(2),
      String(result.pulled_bytes),
      result.baseline_pulled_bytes === null ? '-' : String(result.baseline_pulled_bytes),
    ]),
  );
}

export function targetsTable(targets: TargetResult[]): string {
  return formatTable(
    ['target', 'result', 'measured'],
    targets.map((target) => [target.target, target.pass ? 'pass' : 'FAIL', target.measured]),
  );
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
