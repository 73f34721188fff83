/**
 * The `plan` job of the fanning-out workflows (main.yml, nightly.yml): asks Nx
 * for the task graph of every image build and for the affected projects, and
 * writes one JSON matrix per dependency level, the images left for the
 * registry-side promotion by content tag, and a summary. Nothing about the images is written here
 * or in the workflows: it all comes from the Nx graph.
 *
 *   node -r @swc-node/register tools/ci/plan.ts --max-levels 6 [--all] [--streams cpu,gpu] [--test-streams cpu]
 *
 * Without --all, the affected projects between NX_BASE and NX_HEAD (set by
 * nrwl/nx-set-shas) are built; with it, every image. Outputs (step outputs in
 * GitHub Actions, printed otherwise):
 *   level-0 … level-<max-1>  JSON lists of {task, project, stream, parents, prepare, test}; "[]" when empty
 *   images                   every job of every level, parents first (JSON)
 *   built-tasks              the image builds of every level, space-separated (promote.ts --built)
 *   retag-tasks              the image builds that were not selected, space-separated (promote.ts --unchanged)
 *   levels                   how many levels are used
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { buildTarget, STREAMS } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { parseStreams } from '../nx-plugin/src/lib/hierarchy/stream-list';
import { CiError, runCli } from './lib/ci-error';
import { writeStepOutputs, writeStepSummary } from './lib/github-output';
import { computeImageLevels, flattenLevels, type ImageJob } from './lib/image-levels';
import { affectedProjects, taskGraph } from './lib/nx-cli';

function summary(levels: ImageJob[][], unselected: ImageJob[], all: boolean): string {
  const lines = [`### Image plan (${all ? 'every image' : 'affected images'})`, ''];
  if (levels.length === 0) lines.push('No image to build.');
  levels.forEach((level, i) => lines.push(`- level ${i}: ${level.map((job) => `\`${job.task}\``).join(', ')}`));
  if (unselected.length > 0) lines.push(`- not affected, promoted by content tag: ${unselected.map((job) => `\`${job.task}\``).join(', ')}`);
  return lines.join('\n');
}

runCli('plan', () => {
  const { values } = parseArgs({
    options: {
      all: { type: 'boolean', default: false },
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
  const selected = values.all ? undefined : affectedProjects(workspaceRoot);
  const { levels, unselected } = computeImageLevels(graph, { selected, testStreams, maxLevels });

  const outputs: Record<string, string> = {};
  for (let i = 0; i < maxLevels; i++) outputs[`level-${i}`] = JSON.stringify(levels[i] ?? []);
  outputs.images = JSON.stringify(flattenLevels(levels));
  outputs['built-tasks'] = flattenLevels(levels).map((job) => job.task).join(' ');
  outputs['retag-tasks'] = unselected.map((job) => job.task).join(' ');
  outputs.levels = String(levels.length);
  writeStepOutputs(outputs);
  const text = summary(levels, unselected, values.all ?? false);
  console.error(text);
  writeStepSummary(text);
});
