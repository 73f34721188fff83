/** One line of dist/bench/results.json. Extra fields say how a number was measured. */
export interface ScenarioResult {
  scenario: 'cold' | 'noop' | 'leaf-change' | 'minimal-change' | 'fresh-runner' | 'pruned-engine' | 'fresh-runner-change';
  rebuilt: string[];
  wall_s: number;
  pulled_bytes: number;
  /** null where the scripts have no counterpart (pruned-engine: for them it is cold again). */
  baseline_wall_s: number | null;
  baseline_pulled_bytes: number | null;
  [extra: string]: unknown;
}

export interface TargetResult {
  target: string;
  pass: boolean;
  measured: string;
}

/** The scale scenarios: a generated hierarchy against the workspace's own, same question, same run. */
export interface ScaleResult {
  scenario: 'scale-plan' | 'scale-plan-unbatched' | 'scale-noop' | 'scale-leaf-change';
  images: number;
  wall_s: number;
  reference_images: number;
  reference_wall_s: number;
  /** wall_s / reference_wall_s */
  ratio: number;
  [extra: string]: unknown;
}

/** What the hierarchy scenarios (cold .. pruned-engine) measured besides their results. */
export interface HierarchyTargetInputs {
  nxVersionSeconds: number;
  /** Median noop with the daemon off, CI=true. */
  noopCiSeconds: number;
  /** Engine seconds along the longest chain of the cold build. */
  criticalPathSeconds: number;
  criticalPath: string[];
  /** Repositories of the baseline's images that the fresh-runner baseline fetched layers of, and how many there are. */
  baselineRepositoriesPulled: number;
  baselineRepositories: number;
}

export interface TargetInputs {
  /** null when BENCH_ONLY left the hierarchy scenarios out. */
  hierarchy: HierarchyTargetInputs | null;
  scale: ScaleResult[];
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function roundAll(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, round(value)]));
}

const OVERHEAD_LIMIT_S = 0.5;

/** The targets of the scenarios that ran. */
export function evaluateTargets(results: ScenarioResult[], inputs: TargetInputs): TargetResult[] {
  const pruned = results.find((result) => result.scenario === 'pruned-engine');
  const change = results.find((result) => result.scenario === 'fresh-runner-change');
  return [
    ...(inputs.hierarchy ? hierarchyTargets(results, inputs.hierarchy) : []),
    ...(pruned ? [prunedEngineTarget(pruned)] : []),
    ...(change ? freshRunnerChangeTargets(change) : []),
    ...scaleTargets(inputs.scale),
  ];
}

function hierarchyTargets(results: ScenarioResult[], inputs: HierarchyTargetInputs): TargetResult[] {
  const get = (scenario: ScenarioResult['scenario']) => {
    const found = results.find((result) => result.scenario === scenario);
    if (!found) throw new Error(`no result for scenario ${scenario}`);
    return found;
  };
  const noop = get('noop');
  const leaf = get('leaf-change');
  const cold = get('cold');
  const fresh = get('fresh-runner');
  const daemonOverhead = noop.wall_s - inputs.nxVersionSeconds;
  const ciOverhead = inputs.noopCiSeconds - inputs.nxVersionSeconds;
  const coldRatio = inputs.criticalPathSeconds > 0 ? cold.wall_s / inputs.criticalPathSeconds : Infinity;
  const overheads = results
    .filter((result) => typeof result.overhead_s === 'number')
    .map((result) => ({ scenario: result.scenario, overhead: result.overhead_s as number }));
  const notSlower = (scenario: ScenarioResult['scenario']): TargetResult => {
    const result = get(scenario);
    return {
      target: `${scenario} no slower than the scripts`,
      pass: result.baseline_wall_s !== null && result.wall_s <= result.baseline_wall_s,
      measured: `nx ${result.wall_s.toFixed(2)} s vs scripts ${result.baseline_wall_s?.toFixed(2) ?? '-'} s`,
    };
  };
  return [
    {
      target: `overhead_s <= ${OVERHEAD_LIMIT_S} s per task`,
      pass: overheads.length > 0 && overheads.every((item) => item.overhead <= OVERHEAD_LIMIT_S),
      measured: overheads.map((item) => `${item.scenario} ${item.overhead.toFixed(2)} s`).join(', ') || 'no task ran',
    },
    {
      target: 'noop within 0.5 s of `nx --version` (daemon)',
      pass: daemonOverhead <= 0.5,
      measured: `noop ${noop.wall_s.toFixed(2)} s - nx --version ${inputs.nxVersionSeconds.toFixed(2)} s = ${daemonOverhead.toFixed(2)} s`,
    },
    {
      target: 'noop within 1.5 s of `nx --version` (CI, daemon off)',
      pass: ciOverhead <= 1.5,
      measured: `noop ${inputs.noopCiSeconds.toFixed(2)} s - nx --version ${inputs.nxVersionSeconds.toFixed(2)} s = ${ciOverhead.toFixed(2)} s`,
    },
    {
      target: 'leaf-change rebuilds exactly one image',
      pass: leaf.rebuilt.length === 1,
      measured: `${leaf.rebuilt.length} rebuilt (${leaf.rebuilt.join(', ') || 'none'})`,
    },
    {
      target: 'cold within 1.2x of the critical path (engine time)',
      pass: coldRatio <= 1.2,
      measured: `${cold.wall_s.toFixed(2)} s / ${inputs.criticalPathSeconds.toFixed(2)} s (${inputs.criticalPath.join(' > ')}) = ${coldRatio.toFixed(2)}x`,
    },
    notSlower('cold'),
    notSlower('leaf-change'),
    notSlower('minimal-change'),
    notSlower('fresh-runner'),
    {
      target: 'fresh-runner: 0 rebuilt, 0 bytes pulled; baseline pulls every image',
      pass: fresh.rebuilt.length === 0 && fresh.pulled_bytes === 0 && inputs.baselineRepositoriesPulled === inputs.baselineRepositories,
      measured: `${fresh.rebuilt.length} rebuilt, ${fresh.pulled_bytes} B pulled; baseline pulled layers of ${inputs.baselineRepositoriesPulled}/${inputs.baselineRepositories} images (${fresh.baseline_pulled_bytes} B)`,
    },
  ];
}

function scaleTargets(scale: ScaleResult[]): TargetResult[] {
  const find = (scenario: ScaleResult['scenario']) => scale.find((result) => result.scenario === scenario);
  const scaled = (scenario: ScaleResult['scenario'], what: string, limit: number): TargetResult[] => {
    const result = find(scenario);
    if (!result) return [];
    return [{
      target: `${result.images} images: ${what} <= ${limit}x the ${result.reference_images}-image one`,
      pass: result.ratio <= limit,
      measured: `${result.wall_s.toFixed(2)} s / ${result.reference_wall_s.toFixed(2)} s = ${result.ratio.toFixed(2)}x`,
    }];
  };
  const plan = find('scale-plan');
  return [
    ...scaled('scale-noop', 'noop', 2),
    ...scaled('scale-leaf-change', 'one-leaf change', 1.5),
    ...(plan
      ? [{ target: `${plan.images} images: plan of everything <= 15 s`, pass: plan.wall_s <= 15, measured: `${plan.wall_s.toFixed(2)} s (${plan.reference_images} images: ${plan.reference_wall_s.toFixed(2)} s)` }]
      : []),
  ];
}

/** The layer cache's three promises for a one-line change late in a big image on a fresh runner. */
export function freshRunnerChangeTargets(result: ScenarioResult): TargetResult[] {
  const nocache = typeof result.nocache_wall_s === 'number' ? result.nocache_wall_s : null;
  // How much of the gap is the engine's own: podman's commands in the Nx run, summed, without Nx around them.
  const engine = typeof result.engine_commands_s === 'number' ? ` (its podman commands alone ${result.engine_commands_s.toFixed(2)} s)` : '';
  return [
    {
      target: 'fresh-runner-change: wall_s <= baseline_wall_s (classic builder, --cache-from the previous :latest)',
      pass: result.baseline_wall_s !== null && result.wall_s <= result.baseline_wall_s,
      measured: `nx ${result.wall_s.toFixed(2)} s${engine} vs classic builder ${result.baseline_wall_s?.toFixed(2) ?? '-'} s`,
    },
    {
      target: 'fresh-runner-change: pulled_bytes <= baseline_pulled_bytes',
      pass: result.baseline_pulled_bytes !== null && result.pulled_bytes <= result.baseline_pulled_bytes,
      measured: `nx ${result.pulled_bytes} B vs classic builder ${result.baseline_pulled_bytes ?? '-'} B`,
    },
    {
      target: 'fresh-runner-change: wall_s <= 0.6 x nocache_wall_s',
      pass: nocache !== null && result.wall_s <= 0.6 * nocache,
      measured: `${result.wall_s.toFixed(2)} s / ${nocache?.toFixed(2) ?? '-'} s without the layer cache = ${nocache ? (result.wall_s / nocache).toFixed(2) : '-'}x`,
    },
  ];
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function resultsTable(results: ScenarioResult[]): string {
  return formatTable(
    ['scenario', 'rebuilt', 'wall_s', 'baseline_wall_s', 'overhead_s', 'overhead_cpu_s', 'pulled_bytes', 'baseline_pulled_bytes'],
    results.map((result) => [
      result.scenario,
      result.rebuilt.length === 0 ? '0' : `${result.rebuilt.length} (${result.rebuilt.join(', ')})`,
      result.wall_s.toFixed(2),
      result.baseline_wall_s === null ? '-' : result.baseline_wall_s.toFixed(2),
      typeof result.overhead_s === 'number' ? result.overhead_s.toFixed(2) : '-',
      typeof result.overhead_cpu_s === 'number' ? result.overhead_cpu_s.toFixed(2) : '-',
      String(result.pulled_bytes),
      result.baseline_pulled_bytes === null ? '-' : String(result.baseline_pulled_bytes),
    ]),
  );
}

export function targetsTable(targets: TargetResult[]): string {
  return formatTable(
    ['target', 'result', 'measured'],
    targets.map((target) => [target.target, target.pass ? 'met' : 'MISSED', target.measured]),
  );
}

export function scaleTable(results: ScaleResult[]): string {
  return formatTable(
    ['scenario', 'images', 'wall_s', 'reference images', 'reference wall_s', 'ratio'],
    results.map((result) => [result.scenario, String(result.images), result.wall_s.toFixed(2), String(result.reference_images), result.reference_wall_s.toFixed(2), `${result.ratio.toFixed(2)}x`]),
  );
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
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
