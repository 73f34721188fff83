/**
 * The `plan` job of the fanning-out workflows (main.yml, nightly.yml): asks Nx
 * for the task graph of every image build and for the affected projects, and
 * writes one JSON matrix per dependency level, the images left for the
 * registry-side promotion by content tag, and a summary. Nothing about the images is written here
 * or in the workflows: it all comes from the Nx graph.
 *
 *   node -r @swc-node/register tools/ci/plan.ts --max-levels 6 [--all | --promote-only]
 *     [--no-previous-build <nx-set-shas's noPreviousBuild>] [--streams cpu,gpu] [--test-streams cpu]
 *
 * Without --all, the affected projects between NX_BASE and NX_HEAD (set by
 * nrwl/nx-set-shas) are built; with it, every image. When nx-set-shas found
 * no successful run to compare with (`--no-previous-build true`: a brand-new
 * repository, or none green among the branch's recent commits) its base is a
 * guess (HEAD~1), so every image is built and tested instead, never only what
 * the guess says. --promote-only builds nothing and lists every image for
 * promotion (a rollback). Outputs (step outputs in
 * GitHub Actions, printed otherwise):
 *   level-0 … level-<max-1>  JSON lists of {task, project, stream, parents, prepare, test}; "[]" when empty
 *   images                   every job of every level, parents first (JSON)
 *   built-tasks              the image builds of every level, space-separated (promote.ts --built)
 *   retag-tasks              the image builds that were not selected, space-separated (promote.ts --unchanged)
 *   levels                   how many levels are used
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { buildTarget, STREAMS } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parseStreams } from '@kubeflow-images/plugin-lib/hierarchy/stream-list';
import { CiError, runCli } from './lib/ci-error';
import { writeStepOutputs, writeStepSummary } from './lib/github-output';
import { computeImageLevels, flattenLevels, type ImageJob } from './lib/image-levels';
import { affectedProjects, taskGraph } from './lib/nx-cli';

type Scope = 'all' | 'affected' | 'no previous build' | 'promote only';
const SCOPE_TITLE: Record<Scope, string> = {
  all: 'every image',
  affected: 'affected images',
  'no previous build': 'every image: no successful run to compare with, so nothing is assumed unchanged',
  'promote only': 'nothing to build: every image is promoted as it is',
};

function summary(levels: ImageJob[][], unselected: ImageJob[], scope: Scope): string {
  const lines = [`### Image plan (${SCOPE_TITLE[scope]})`, ''];
  if (levels.length === 0) lines.push('No image to build.');
  levels.forEach((level, i) => lines.push(`- level ${i}: ${level.map((job) => `\`${job.task}\``).join(', ')}`));
  if (unselected.length > 0) lines.push(`- not affected, promoted by content tag: ${unselected.map((job) => `\`${job.task}\``).join(', ')}`);
  return lines.join('\n');
}

runCli('plan', () => {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean', default: false },
      'promote-only': { type: 'boolean', default: false },
      'no-previous-build': { type: 'string', default: '' },
      'max-levels': { type: 'string' },
      streams: { type: 'string' },
      'test-streams': { type: 'string' },
    },
  });
  const maxLevels = Number(values['max-levels']);
  if (!Number.isInteger(maxLevels) || maxLevels < 1) {
    throw new CiError('--max-levels must be the number of level jobs the workflow has (a positive integer)');
  }
  const streams = values.streams === undefined ? [...STREAMS] : parseStreams(values.streams, '--streams', { allowEmpty: true });
  const testStreams = values['test-streams'] === undefined ? [] : parseStreams(values['test-streams'], '--test-streams', { allowEmpty: true });

  const graph = taskGraph(workspaceRoot, streams.map(buildTarget));
  if (values.all && values['promote-only']) throw new CiError('--all and --promote-only exclude each other: build every image, or none');
  const noPreviousBuild = values['no-previous-build'] === 'true';
  const scope: Scope = values['promote-only'] ? 'promote only' : values.all ? 'all' : noPreviousBuild ? 'no previous build' : 'affected';
  const selected = scope === 'promote only' ? new Set<string>() : scope === 'affected' ? affectedProjects(workspaceRoot) : undefined;
  const { levels, unselected } = computeImageLevels(graph, { selected, testStreams, maxLevels });

  const outputs: Record<string, string> = {};
  for (let i = 0; i < maxLevels; i++) outputs[`level-${i}`] = JSON.stringify(levels[i] ?? []);
  outputs.images = JSON.stringify(flattenLevels(levels));
  outputs['built-tasks'] = flattenLevels(levels).map((job) => job.task).join(' ');
  outputs['retag-tasks'] = unselected.map((job) => job.task).join(' ');
  outputs.levels = String(levels.length);
  writeStepOutputs(outputs);
  const text = summary(levels, unselected, scope);
  console.error(text);
  writeStepSummary(text);
});
