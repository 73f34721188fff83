/**
 * The pull request of an upstream update, from what `npm run upstream:update
 * -- --summary FILE` found: old and new commit and digest, the package
 * difference of the two upstream images (pulled and listed with docker), the
 * CVEs the new one fixes and introduces (two trivy JSON reports), the rebuild
 * of our own layers and the pins to bump.
 *
 *   node -r @swc-node/register tools/upstream/update-pr.ts --summary S --output BODY.md
 *     [--packages] [--old-scan OLD.json --new-scan NEW.json]
 *
 * Writes the body to BODY.md and the job summary, and the title as the step output `title`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CiError, runCli } from '../ci/lib/ci-error';
import { writeStepOutputs, writeStepSummary } from '../ci/lib/github-output';
import { findings } from '../ci/lib/trivy-report';
import { realCli } from '@kubeflow-images/plugin-lib/engine/engine-cli';
import { cveChange, updatePrBody, updatePrTitle } from './lib/update-pr';
import { upstreamPackages } from './lib/upstream-packages';
import type { UpdateSummary } from './lib/upstream-update';

const pinned = (image: UpdateSummary['upstream']['old']) => (image.digest ? `${image.reference}@${image.digest}` : image.reference);

runCli('update-pr', async () => {
  const usage = 'usage: update-pr.ts --summary SUMMARY.json --output BODY.md [--packages] [--old-scan OLD.json --new-scan NEW.json]';
  let args;
  try {
    args = parseArgs({
      options: { summary: { type: 'string' }, output: { type: 'string' }, packages: { type: 'boolean', default: false }, 'old-scan': { type: 'string' }, 'new-scan': { type: 'string' } },
    }).values;
  } catch (error) {
    throw new CiError(`${(error as Error).message}: ${usage}`);
  }
  const { summary: summaryFile, output } = args;
  if (!summaryFile || !output) throw new CiError(usage);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as UpdateSummary;
  const { 'old-scan': oldScan, 'new-scan': newScan } = args;
  const cves = oldScan && newScan ? cveChange(findings(readFileSync(oldScan, 'utf8'), oldScan), findings(readFileSync(newScan, 'utf8'), newScan)) : null;
  let packages = null;
  if (args.packages && summary.upstream.moved) {
    packages = await upstreamPackages(realCli('docker'), pinned(summary.upstream.old), pinned(summary.upstream.new)).catch((error: Error) => {
      console.error(`update-pr: warning: no package difference in the pull request: ${error.message}`);
      return null;
    });
  }
  const body = updatePrBody({ summary, packages, cves });
  writeFileSync(output, body);
  writeStepSummary(body);
  writeStepOutputs({ title: updatePrTitle(summary) });
  process.stdout.write(body);
});
