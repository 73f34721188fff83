import type { ImageGraph, Stream } from '../hierarchy/image-graph';
import { parentChain } from '../hierarchy/resolve-parent';
import type { BuildSettings } from '../settings/build-settings';
import { checksForStream, type CheckLists, type ImageChecks } from './checks-file';

/** The checks one image of the chain declares. */
export interface ChecksSource {
  project: string;
  /** Its checks.json, relative to the workspace root (it may not exist: then it declares nothing). */
  file: string;
  /** What it declares for the stream under test (its common checks plus that stream's section). */
  checks: CheckLists;
}

export type DeclaredCheckKind = 'python' | 'r' | 'command';

/** One declared check, with the image that declared it (itself or an ancestor). */
export interface DeclaredCheck {
  kind: DeclaredCheckKind;
  /** Module, package or command line. */
  subject: string;
  declaredBy: string;
  file: string;
}

/**
 * The checks.json of every image from the root of `project`'s chain down to
 * `project` itself, for one stream (gpu chains pass through gpu-upstream),
 * each reduced to what it declares for that stream.
 */
export function checkSources(
  graph: ImageGraph,
  project: string,
  stream: Stream,
  settings: BuildSettings,
  readChecks: (projectRoot: string) => { file: string; checks: ImageChecks },
): ChecksSource[] {
  return parentChain(graph, project, stream, settings)
    .reverse()
    .map((name) => {
      const { file, checks } = readChecks(graph[name].root);
      return { project: name, file, checks: checksForStream(checks, stream) };
    });
}

/**
 * As docker-stacks does it: an image must pass its ancestors' checks as well
 * as its own. Sources come root first, so the checks run in that order; a
 * check declared again further down keeps the ancestor that declared it first.
 */
export function inheritChecks(sources: ChecksSource[]): DeclaredCheck[] {
  const checks: DeclaredCheck[] = [];
  const seen = new Set<string>();
  const add = (kind: DeclaredCheckKind, subjects: string[], source: ChecksSource) => {
    for (const subject of subjects) {
      const key = `${kind}\0${subject.trim()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      checks.push({ kind, subject: subject.trim(), declaredBy: source.project, file: source.file });
    }
  };
  for (const source of sources) {
    add('python', source.checks.pythonImports, source);
    add('r', source.checks.rImports, source);
    add('command', source.checks.commands, source);
  }
  return checks;
}
