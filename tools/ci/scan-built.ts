/**
 * The scan gate of a pull request: every image of the given streams that this job's
 * engine built (its record in dist/images says so) is scanned by trivy on the
 * runner (the reviewed .trivyignore.yaml applied); the job summary gets a
 * table per image, and the step fails when any of them holds a CRITICAL
 * finding, naming them all. Images reused from the registry were built and
 * scanned by the run that pushed them.
 *
 *   node -r @swc-node/register tools/ci/scan-built.ts --stream cpu[,gpu]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { parseStreams } from '@kubeflow-images/plugin-lib/hierarchy/stream-list';
import { readRecord, type BuildRecord } from '@kubeflow-images/plugin-lib/records/build-record';
import { CiError, runCli } from './lib/ci-error';
import { writeStepSummary } from './lib/github-output';
import { ALLOWLIST_FILE } from './lib/trivy-allowlist';
import { findings, scanSummary } from './lib/trivy-report';

/** The records of images an engine made on this runner (not those found in the registry or restored from another machine). */
const builtHere = (records: BuildRecord[]) => records.filter((record) => record.source === 'built' || record.source === 'local');

runCli('scan-built', () => {
  const { values } = parseArgs({ options: { stream: { type: 'string', default: '' } } });
  const streams = parseStreams(values.stream ?? '', '--stream');
  const dir = join(workspaceRoot, 'dist', 'images');
  const projects = existsSync(dir) ? readdirSync(dir) : [];
  const records = builtHere(
    streams.flatMap((stream) => projects.filter((project) => existsSync(join(dir, project, `${stream}.json`))).map((project) => readRecord(workspaceRoot, project, stream))),
  );
  if (records.length === 0) return console.log(`scan-built: no ${streams.join(' or ')} image was built here: nothing to scan`);
  const work = mkdtempSync(join(tmpdir(), 'kf-scan-'));
  const failing: string[] = [];
  try {
    for (const record of records) {
      const task = `${record.project}:build-${record.stream}`;
      const report = join(work, `${record.project}.json`);
      const trivy = spawnSync('trivy', ['image', '--quiet', '--scanners', 'vuln', '--format', 'json', '--output', report, '--ignorefile', ALLOWLIST_FILE, record.image], {
        cwd: workspaceRoot,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (trivy.error || trivy.status !== 0) throw new CiError(`trivy could not scan ${record.image} (${trivy.error?.message ?? `exit ${trivy.status}`}): is trivy installed and the image in the engine?`);
      const list = findings(readFileSync(report, 'utf8'), report);
      const summary = scanSummary(task, record.image, list);
      writeStepSummary(summary);
      console.log(summary);
      const critical = list.filter((finding) => finding.severity === 'CRITICAL');
      if (critical.length > 0) failing.push(`${task} (${critical.map((finding) => finding.id).join(', ')})`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (failing.length > 0) throw new CiError(`CRITICAL findings not in ${ALLOWLIST_FILE}: ${failing.join('; ')}: fix them, or add reviewed entries with an expiry`);
});
