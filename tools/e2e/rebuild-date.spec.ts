import { join } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { hasStream, isImageProject, toImageGraph, type ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { readE2eServices } from './support/e2e-services';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn, tasksRun } from './support/records';
import { createTempWorkspace, expectNxSuccess, WORKSPACE_ROOT, type TempWorkspace } from './support/temp-workspace';

/**
 * The rebuild date on real podman builds: fixture Dockerfiles that take
 * IMAGE_REBUILD_DATE as the production ones do (ARG and label before the
 * first RUN), whose RUN records when it ran. A bump rebuilds every cpu image
 * once with new layers, past the Nx cache and the engine's layer cache; the
 * next build rebuilds nothing. Needs tools/scripts/e2e-services.sh start.
 */
jest.setTimeout(300_000);

let machine: PodmanMachine;
let workspace: TempWorkspace;
let images: ImageGraph;
let cpuImages: string[];
let settings: string;

const record = (project: string) => readRecordIn(workspace.root, project, 'cpu')!;
/** What each image's own RUN wrote: its name and the moment the step ran. */
const ownLine = (project: string) => machine.readFile(record(project).image, '/lineage').trim().split('\n').find((line) => line.startsWith(`${project} `))!;
const label = (project: string) => machine.podman(['image', 'inspect', '--format', '{{index .Labels "io.kubeflow-images.rebuild-date"}}', record(project).image]);

function build(args: string[] = []) {
  const result = workspace.nx(['run-many', '-t', 'build-cpu', '--output-style=static', ...args], machine.env);
  expectNxSuccess(result);
  return tasksRun(result.output, 'build-cpu');
}

function rebuildDate(date: string): void {
  workspace.write('build_settings.env', `${settings}IMAGE_REBUILD_DATE=${date}\n`);
  workspace.commit(`rebuild date ${date}`);
}

beforeAll(async () => {
  const services = readE2eServices();
  process.env.NX_DAEMON = 'false';
  process.chdir(WORKSPACE_ROOT);
  images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  cpuImages = Object.values(images).filter((node) => isImageProject(node) && hasStream(node, 'cpu')).map((node) => node.name).sort();
  machine = createPodmanMachine(services);
  const upstream = `${services.registry}/rdate-${Date.now().toString(36)}/datascience-notebook:fixture`;
  const digest = pushFixtureUpstream(machine, upstream, 'upstream');
  workspace = createTempWorkspace('kf-rebuild-date-');
  settings = fixtureBuildSettings(upstream);
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, digest));
  for (const project of cpuImages) {
    workspace.write(
      join(images[project].root, 'Dockerfile'),
      [
        'ARG BASE_CONTAINER',
        'FROM $BASE_CONTAINER',
        'ARG IMAGE_REBUILD_DATE',
        'LABEL io.kubeflow-images.rebuild-date="${IMAGE_REBUILD_DATE}"',
        `RUN echo "${project} $(date +%s%N)" >> /lineage`,
        '',
      ].join('\n'),
    );
  }
  rebuildDate('2026-12-01');
  expect(build()).toEqual(cpuImages);
}, 300_000);

afterAll(() => {
  workspace?.remove();
  machine?.remove();
});

it('a bump rebuilds every image once with new layers, and no cache of any kind brings the old ones back', () => {
  const before = Object.fromEntries(cpuImages.map((project) => [project, { tag: record(project).contentTag, line: ownLine(project) }]));
  rebuildDate('2026-12-04');

  // Every image ran, each RUN ran again (the engine's layer cache missed), every content tag moved.
  expect(build()).toEqual(cpuImages);
  const after = Object.fromEntries(cpuImages.map((project) => [project, { tag: record(project).contentTag, line: ownLine(project) }]));
  for (const project of cpuImages) {
    expect({ project, tagMoved: after[project].tag !== before[project].tag, layerRebuilt: after[project].line !== before[project].line }).toEqual({ project, tagMoved: true, layerRebuilt: true });
    expect(label(project)).toBe('2026-12-04');
  }

  // Once: the next build runs nothing, and past the Nx cache it finds every image built.
  expect(build()).toEqual([]);
  build(['--skip-nx-cache']);
  for (const project of cpuImages) expect({ project, tag: record(project).contentTag, line: ownLine(project) }).toEqual({ project, ...after[project] });
});
