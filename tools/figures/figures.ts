/**
 * The thin, impure half of the figures: read the real Nx project graph and
 * build_settings.env, and render the pure DOT builders' output with Graphviz
 * (@viz-js/viz, a WebAssembly build: no system install).
 */
import { join } from 'node:path';
import { createProjectGraphAsync, workspaceRoot as defaultWorkspaceRoot } from '@nx/devkit';
import { instance } from '@viz-js/viz';
import { toImageGraph, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { loadBuildSettings, type BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { detailedDot, summaryDot } from './hierarchy-dot';

export interface Figure {
  /** Path relative to the workspace root. */
  file: string;
  dot: (graph: ImageGraph, settings: BuildSettings) => string;
}

export const FIGURES: readonly Figure[] = [
  { file: 'figures/hierarchy-summary.svg', dot: summaryDot },
  { file: 'figures/hierarchy-detailed.svg', dot: detailedDot },
];

export const REGENERATE_COMMAND = 'npm run figures';

/**
 * The image graph and the committed settings. Environment overrides of
 * build_settings.env are ignored on purpose: the figures document the
 * repository, so they must not change with the shell they are made in.
 */
export async function loadHierarchy(workspaceRoot = defaultWorkspaceRoot): Promise<{ graph: ImageGraph; settings: BuildSettings }> {
  process.env.NX_DAEMON = 'false';
  const projectGraph = await createProjectGraphAsync({ exitOnError: false });
  return { graph: toImageGraph(projectGraph), settings: loadBuildSettings(workspaceRoot, {}) };
}

/** DOT → SVG text. Throws with Graphviz's messages when the DOT is invalid. */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    throw new Error(`Graphviz could not render the figure: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return result.output;
}

/** Every figure rendered in memory, keyed by its path relative to the workspace root. */
export async function renderFigures(graph: ImageGraph, settings: BuildSettings): Promise<Map<string, string>> {
  const rendered = new Map<string, string>();
  for (const figure of FIGURES) rendered.set(figure.file, await renderSvg(figure.dot(graph, settings)));
  return rendered;
}

export function figurePath(workspaceRoot: string, file: string): string {
  return join(workspaceRoot, file);
}
