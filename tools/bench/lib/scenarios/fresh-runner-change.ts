import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PodmanMachine } from '../../../e2e/support/podman-fixtures';
import { cloneTempWorkspace, type TempWorkspace } from '../../../e2e/support/temp-workspace';
import { lastLines, type BenchGraph } from '../graph';
import { log, removeWorkspace, STREAM, TARGET, type BenchContext } from '../context';
import { allEngineCommandSeconds } from '../engine-log';
import { rebuiltProjects, timedNx } from '../nx-runs';
import { round } from '../report';
import { nxArgs, type BenchHierarchy } from './bench-hierarchy';

/** The changed image's early, expensive step: what a CUDA/torch install stands for. */
const EXPENSIVE_MB = 32;
const EXPENSIVE_SECONDS = 6;
/** What its last line adds: a small package. */
const LAST_LINE_MB = 1;

/** A Dockerfile with an expensive early step and a last line that `revision` changes. */
export function expensiveEarlyStepDockerfile(project: string, revision: number): string {
  return [
    'ARG BASE_CONTAINER',
    'FROM $BASE_CONTAINER',
    `RUN echo ${project} >> /lineage && mkdir -p /opt && dd if=/dev/urandom of=/opt/${project}-expensive.bin bs=1M count=${EXPENSIVE_MB} 2>/dev/null && sleep ${EXPENSIVE_SECONDS}`,
    `RUN echo revision-${revision} > /opt/${project}-last-line && dd if=/dev/urandom of=/opt/${project}-last.bin bs=1M count=${LAST_LINE_MB} 2>/dev/null`,
    '',
  ].join('\n');
}

/** dockerd with a login of its own, timed per command; never throws by itself. */
function dockerRunner(services: BenchContext['services']) {
  const config = mkdtempSync(join(tmpdir(), 'kf-bench-docker-'));
  writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [services.registry]: { auth: Buffer.from(`${services.user}:${services.password}`).toString('base64') } } }));
  // The classic builder, as the original CI ran it: it reuses the layers of a pulled --cache-from image.
  const env = { ...process.env, DOCKER_CONFIG: config, DOCKER_BUILDKIT: '0' };
  const run = (args: string[]) => {
    const start = process.hrtime.bigint();
    const result = spawnSync('docker', args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { ok: result.status === 0, output: `${result.stdout ?? ''}\n${result.stderr ?? ''}`, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
  };
  const must = (args: string[]) => {
    const result = run(args);
    if (!result.ok) throw new Error(`fresh-runner-change baseline: docker ${args[0]} failed: ${lastLines(result.output)}`);
    return result.seconds;
  };
  return { run, must, remove: () => rmSync(config, { recursive: true, force: true }) };
}

/** The changed image and its ancestors, root first. */
function chainOf(graph: BenchGraph, project: string): string[] {
  const parent = graph.images[project].parents[0];
  return parent ? [...chainOf(graph, parent), project] : [project];
}

/**
 * A one-line change late in a big image, on a fresh CI runner: the registry
 * holds the previous build of every image and its layer cache; engine storage
 * and the Nx cache are empty. Nx (reading the layer cache) against the same
 * build without it and against the original CI's way on dockerd's classic
 * builder (pull the previous :latest, build --cache-from it, push), all in one run.
 */
export async function freshRunnerChangeScenario(ctx: BenchContext, h: BenchHierarchy): Promise<void> {
  const project = h.graph.leaves[0];
  const chain = chainOf(h.graph, project);
  const dockerfile = `${h.graph.images[project].root}/Dockerfile`;
  const ciEnv = (machine: PodmanMachine, extra: NodeJS.ProcessEnv = {}) =>
    ctx.nxEnv(machine, { IMAGE_REGISTRY: ctx.registryPrefix, IMAGE_PUSH: 'true', IMAGE_BRANCH: '', GITHUB_HEAD_REF: '', GITHUB_REF_NAME: '', IMAGE_DEFAULT_BRANCH: '', ...extra });
  const freshClone = (source: TempWorkspace) => {
    const clone = cloneTempWorkspace(source, 'kf-bench-change-');
    ctx.cleanup.add(`remove ${clone.root}`, () => removeWorkspace(clone, false));
    return clone;
  };

  // The previous build: main pushes every image of the chain, and the changed one's layer cache.
  const main = freshClone(h.workspace);
  main.write(dockerfile, expensiveEarlyStepDockerfile(project, 1));
  main.commit(`bench: ${project} with an expensive early step`);
  log(`setup for fresh-runner-change: main pushes ${chain.join(' > ')} and ${project}'s layer cache to ${ctx.registryPrefix}`);
  timedNx(main, nxArgs('run', `${project}:${TARGET}`), ciEnv(ctx.machine('fresh-runner-change previous build')), 'fresh-runner-change: previous build');

  const docker = dockerRunner(ctx.services);
  const baselinePrefix = `${ctx.registryPrefix}/baseline-classic`;
  const latest = (name: string) => `${baselinePrefix}/${h.graph.images[name].imageName}-${STREAM}:latest`;
  const dockerBuildArgs = (workspace: TempWorkspace, name: string) => {
    const parent = h.graph.images[name].parents[0];
    const context = join(workspace.root, h.graph.images[name].root);
    return ['--build-arg', `BASE_CONTAINER=${parent ? latest(parent) : h.upstream}`, '--tag', latest(name), '--file', join(context, 'Dockerfile'), context];
  };
  // By id, not by tag: the previous :latest the baseline pulled keeps its digest reference (and its layers) after
  // the new build takes the tag, and a later run on the same dockerd would find those layers present.
  const upstreamRepository = h.upstream.slice(0, h.upstream.lastIndexOf(':'));
  const forgetDockerImages = () => {
    const listed = docker.run(['images', '--all', '--format', '{{.ID}} {{.Repository}}']).output;
    const ids = listed
      .split('\n')
      .map((line) => line.trim().split(' '))
      .filter(([id, repository]) => id && repository && (repository.startsWith(`${baselinePrefix}/`) || repository === upstreamRepository))
      .map(([id]) => id);
    if (ids.length > 0) docker.run(['image', 'rm', '--force', ...new Set(ids)]);
  };
  ctx.cleanup.add('remove the classic builder baseline images from dockerd', () => {
    forgetDockerImages();
    docker.remove();
  });
  log(`setup: the original CI's previous build with dockerd's classic builder, to ${baselinePrefix}`);
  for (const name of chain) {
    docker.must(['build', '--quiet', ...dockerBuildArgs(main, name)]);
    docker.must(['push', '--quiet', latest(name)]);
  }
  forgetDockerImages();

  // Two different one-line changes, so the build without the cache does not find the other's image in the registry.
  const nocacheClone = freshClone(main);
  nocacheClone.write(dockerfile, expensiveEarlyStepDockerfile(project, 2));
  nocacheClone.commit(`bench: ${project} last line, revision 2`);
  log('fresh-runner-change: the same build without a layer cache (IMAGE_LAYER_CACHE=false), fresh clone and storage');
  const nocache = timedNx(nocacheClone, nxArgs('run', `${project}:${TARGET}`), ciEnv(ctx.machine('fresh-runner-change no cache'), { IMAGE_LAYER_CACHE: 'false' }), 'fresh-runner-change: no cache');

  const clone = freshClone(main);
  clone.write(dockerfile, expensiveEarlyStepDockerfile(project, 3));
  clone.commit(`bench: ${project} last line, revision 3`);
  log('fresh-runner-change: fresh clone, empty Nx cache and storage, the registry holds the previous build and its layer cache');
  let run!: ReturnType<typeof timedNx>;
  ctx.engineLog.mark();
  const pulled = await ctx.measurePulled(() => {
    run = timedNx(clone, nxArgs('run', `${project}:${TARGET}`), ciEnv(ctx.machine('fresh-runner-change nx')), 'fresh-runner-change');
  });

  log("fresh-runner-change: the original CI's way on dockerd's classic builder: pull the previous :latest, build --cache-from it, push");
  let baselineSeconds = 0;
  const baselinePulled = await ctx.measurePulled(() => {
    baselineSeconds += docker.must(['pull', '--quiet', latest(project)]);
    baselineSeconds += docker.must(['build', '--quiet', '--cache-from', latest(project), ...dockerBuildArgs(clone, project)]);
    baselineSeconds += docker.must(['push', '--quiet', latest(project)]);
  });
  forgetDockerImages();

  ctx.record({
    scenario: 'fresh-runner-change',
    rebuilt: rebuiltProjects(clone, run.output, TARGET),
    wall_s: round(run.seconds),
    engine_commands_s: round(allEngineCommandSeconds(ctx.engineLog.read())),
    pulled_bytes: pulled.bytes,
    baseline_wall_s: round(baselineSeconds),
    baseline_pulled_bytes: baselinePulled.bytes,
    nocache_wall_s: round(nocache.seconds),
    nocache_rebuilt: rebuiltProjects(nocacheClone, nocache.output, TARGET),
    changed: project,
    expensive_step: `${EXPENSIVE_MB} MB, ${EXPENSIVE_SECONDS} s`,
    last_line: `${LAST_LINE_MB} MB`,
    pulled_by_repository: pulled.byRepository,
    baseline_pulled_by_repository: baselinePulled.byRepository,
  });
  log(`fresh-runner-change: nx ${run.seconds.toFixed(1)} s (${pulled.bytes} B pulled), without the cache ${nocache.seconds.toFixed(1)} s, classic builder ${baselineSeconds.toFixed(1)} s (${baselinePulled.bytes} B pulled)`);
}
