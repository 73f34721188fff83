/**
 * `npm run upstream:update [-- --scan-reports DIR] [--summary FILE]`: moves
 * the docker-stacks pin to the commit the upstream's `latest` is, locks its
 * digest, and moves the rebuild date of our own layers when the nightly scan
 * (trivy JSON reports of the published images in DIR) or its age says so.
 * Reports whether gpu-jupyter has a newer release; never moves that pin.
 *
 * Exit 0: up to date (nothing written) or the files were updated. Exit 1:
 * something could not be checked, or the gpu stream failed on the new
 * commit; nothing was written.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { writeStepOutputs } from '../ci/lib/github-output';
import { CiError, runCli } from '../ci/lib/ci-error';
import { repoLocation } from '@kubeflow-images/plugin-lib/gpu-upstream/git-source';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { SETTINGS_FILE } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { readUpstreamLock, upstreamLockPath } from '@kubeflow-images/plugin-lib/upstream-lock/lock-file';
import { UPSTREAM_LOCK_FILE } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';
import { packagePins } from './lib/package-pins';
import { readScannedImage } from './lib/scanned-image';
import { COMMIT_SETTING, runUpstreamUpdate, type UpdateSummary } from './lib/upstream-update';

const run = promisify(execFile);
const WORKSPACE_ROOT = join(__dirname, '..', '..');

function readScans(dir: string | undefined) {
  if (!dir) return [];
  if (!existsSync(dir)) throw new CiError(`--scan-reports ${dir} does not exist: pass the folder holding the nightly scan's trivy JSON reports`);
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.json')).sort();
  return files.map((file) => readScannedImage(readFileSync(join(dir, file), 'utf8'), file));
}

/** The Dockerfiles of our images: every images/<name>/Dockerfile, as the workspace plugin finds them. */
function ourDockerfiles(): Record<string, string> {
  const imagesDir = join(WORKSPACE_ROOT, 'images');
  const files: Record<string, string> = {};
  for (const name of readdirSync(imagesDir)) {
    const path = join(imagesDir, name, 'Dockerfile');
    if (existsSync(path)) files[`images/${name}/Dockerfile`] = readFileSync(path, 'utf8');
  }
  return files;
}

async function gpuJupyterTags(location: string): Promise<string> {
  try {
    const { stdout } = await run('git', ['ls-remote', '--tags', repoLocation(location, WORKSPACE_ROOT)], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      timeout: 60_000,
    });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim().split('\n').pop();
    throw new Error(`git ls-remote failed: ${stderr || (error as Error).message}`);
  }
}

/** The gpu stream's own checks, on the new commit (an environment override, so no file changes first). */
async function verifyStreams(commit: string): Promise<string | null> {
  console.log(`checking the gpu stream on docker-stacks ${commit}: nx run gpu-upstream:parity (generates it first)`);
  try {
    await run(join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx'), ['run', 'gpu-upstream:parity', '--output-style=static'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, [COMMIT_SETTING]: commit, NX_DAEMON: 'false' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return null;
  } catch (error) {
    const output = `${(error as { stdout?: string }).stdout ?? ''}\n${(error as { stderr?: string }).stderr ?? ''}`;
    // The executors' own one-line messages name the target: "gpu-upstream:generate: …".
    const own = output.split('\n').map((line) => line.trim()).filter((line) => /^gpu-upstream:[a-z-]+: /.test(line));
    return own.length > 0 ? own.join(' | ') : `nx run gpu-upstream:parity failed: ${output.trim().split('\n').slice(-3).join(' | ')}`;
  }
}

/** Both files through temporaries and renames, after both are written: never one moved without the other. */
function writeBoth(files: Array<[string, string]>): void {
  const temporaries = files.map(([path, text]) => {
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, text);
    return [temporary, path] as const;
  });
  try {
    for (const [temporary, path] of temporaries) renameSync(temporary, path);
  } finally {
    for (const [temporary] of temporaries) rmSync(temporary, { force: true });
  }
}

function report(summary: UpdateSummary, failed: boolean): void {
  const { upstream, rebuild } = summary;
  if (failed) {
    console.log(`docker-stacks: latest is ${upstream.new.commit} (${upstream.new.digest}); the pins stay at ${upstream.old.commit}`);
  } else if (upstream.moved) {
    console.log(`docker-stacks: ${upstream.old.commit} -> ${upstream.new.commit} (latest is ${upstream.new.digest})`);
  } else {
    console.log(`docker-stacks: ${upstream.new.commit} is latest (${upstream.new.digest})`);
  }
  if (rebuild.new && !failed) console.log(`rebuild date: ${rebuild.old || '(unset)'} -> ${rebuild.new}: ${rebuild.reasons.join('; ')}`);
  for (const held of rebuild.pinsToBump) {
    console.log(`pin to bump: ${held.pin.name}=${held.pin.version} in ${held.pin.file} holds ${held.id} (${held.severity}, fixed in ${held.fixed}); a rebuild cannot fix it`);
  }
  console.log(summary.gpuJupyter.line);
}

runCli('upstream:update', async () => {
  let args: { 'scan-reports'?: string; summary?: string };
  try {
    args = parseArgs({ options: { 'scan-reports': { type: 'string' }, summary: { type: 'string' } } }).values;
  } catch (error) {
    throw new CiError(`${(error as Error).message}: usage: npm run upstream:update [-- --scan-reports DIR] [--summary FILE]`);
  }
  const summaryFile = args.summary;
  const settingsPath = join(WORKSPACE_ROOT, SETTINGS_FILE);
  const outcome = await runUpstreamUpdate({
    settingsText: readFileSync(settingsPath, 'utf8'),
    settingsFile: SETTINGS_FILE,
    lock: readUpstreamLock(WORKSPACE_ROOT),
    registry: new RegistryClient({ timeoutMs: 20_000 }),
    gpuJupyterTags,
    verifyStreams,
    scans: readScans(args['scan-reports']),
    pins: packagePins(ourDockerfiles()),
    now: new Date(),
  });
  if (outcome.summary) report(outcome.summary, outcome.status === 'failed');
  // A CI artifact, not a workspace file: the pull request is written from it.
  if (summaryFile && outcome.summary) writeFileSync(summaryFile, `${JSON.stringify(outcome.summary, null, 2)}\n`);
  if (outcome.status === 'failed') {
    for (const problem of outcome.problems) console.error(`upstream:update: ${problem}`);
    console.error(`upstream:update: nothing changed (${SETTINGS_FILE} and ${UPSTREAM_LOCK_FILE} are as they were)`);
    writeStepOutputs({ changed: 'false' });
    process.exitCode = 1;
    return;
  }
  if (outcome.status === 'up-to-date') {
    console.log('up to date');
    writeStepOutputs({ changed: 'false' });
    return;
  }
  writeBoth([
    [settingsPath, outcome.settingsText],
    [upstreamLockPath(WORKSPACE_ROOT), outcome.lockText],
  ]);
  console.log(`updated ${SETTINGS_FILE} and ${UPSTREAM_LOCK_FILE}: review and commit them`);
  const { upstream } = outcome.summary;
  writeStepOutputs({
    changed: 'true',
    'upstream-moved': String(upstream.moved),
    'old-image': upstream.old.digest ? `${upstream.old.reference}@${upstream.old.digest}` : upstream.old.reference,
    'new-image': `${upstream.new.reference}@${upstream.new.digest}`,
  });
});
