/**
 * The gate of the nightly scan of one image: writes the job summary table of
 * a trivy JSON report and fails when it holds a CRITICAL finding (trivy has
 * already left out what the reviewed .trivyignore.yaml allows).
 *
 *   node -r @swc-node/register tools/ci/scan-report.ts --report trivy.json --task <task> --image <ref>
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { findings, scanSummary } from './lib/trivy-report';

runCli('scan-report', () => {
  const { values } = parseArgs({ options: { report: { type: 'string' }, task: { type: 'string', default: '' }, image: { type: 'string', default: '' } } });
  if (!values.report) throw new CiError('--report <trivy JSON file> is required');
  const list = findings(readFileSync(values.report, 'utf8'), values.report);
  const summary = scanSummary(values.task ?? '', values.image ?? '', list);
  writeStepSummary(summary);
  console.log(summary);
  const critical = list.filter((f) => f.severity === 'CRITICAL');
  if (critical.length > 0) {
    throw new CiError(`${values.task}: ${critical.length} CRITICAL finding(s) not in .trivyignore.yaml (${critical.map((f) => f.id).join(', ')}): fix them, or add reviewed entries with an expiry`);
  }
});
