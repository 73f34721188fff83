import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { InspectReport } from '@kubeflow-images/plugin-lib/inspect/report';
import { emptyPackageLists } from '@kubeflow-images/plugin-lib/inspect/packages';
import { readSavedImage } from '@kubeflow-images/plugin-lib/inspect/engine-image';
import { countWaste } from '@kubeflow-images/plugin-lib/inspect/waste';
import { readE2eServices } from './support/e2e-services';
import { removeDockerImages } from './support/notebook-fixtures';
import { createPodmanMachine, fixtureBuildSettings, fixtureCpuLock, fixtureDockerfile, pushFixtureUpstream, type PodmanMachine } from './support/podman-fixtures';
import { readRecordIn } from './support/records';
import { createTempWorkspace, type NxResult, type TempWorkspace } from './support/temp-workspace';

/**
 * inspect-cpu for real: fixture images made with the image generator on the
 * root image, built with podman through the real Nx CLI in one run, their
 * layers streamed from podman's storage and their packages listed with docker.
 * The same images saved in both layouts engines write (docker-archive, and the
 * OCI layout of docker 25+ and `podman save --format oci-archive`) read the same.
 */
const UPSTREAM = 'fixtures/inspect-upstream:fixture-commit';
const ROOT = 'base';
const MIB = 1024 * 1024;
const PERMISSIONS = 'permissions changed in a later layer than the files: run fix-permissions in the same RUN';

/** Each fixture: its Dockerfile lines after FROM (line 3 on). */
const FIXTURES: Record<string, string[]> = {
  'chmod-later': ['RUN head -c 10485760 /dev/zero > /big', 'RUN chmod 600 /big'],
  'chmod-same-run': ['RUN head -c 10485760 /dev/zero > /big && chmod 600 /big'],
  rewrites: [
    'COPY data.bin /opt/data.bin',
    'RUN echo v1 > /opt/conf && head -c 300000 /dev/zero > /opt/scratch.bin && printf \'#!/bin/sh\\nprintf "fixture-tool\\\\t1.0\\\\n"\\n\' > /bin/dpkg-query && chmod 755 /bin/dpkg-query',
    'COPY data.bin /opt/data.bin',
    'RUN echo v2-is-longer > /opt/conf',
    'RUN rm /opt/scratch.bin',
  ],
};

jest.setTimeout(600_000);

let machine: PodmanMachine;
let workspace: TempWorkspace;
let run: NxResult;

/** The tasks Nx lists under "Failed tasks:" at the end of a run. */
function failedTasks(output: string): string[] {
  const section = output.split('Failed tasks:')[1] ?? '';
  return [...section.matchAll(/^\s*- ([\w-]+:[\w-]+)\s*$/gm)].map((match) => match[1]);
}

function report(project: string): InspectReport {
  return JSON.parse(readFileSync(join(workspace.root, 'dist', 'images', project, 'cpu.inspect.json'), 'utf8'));
}

beforeAll(() => {
  const services = readE2eServices();
  machine = createPodmanMachine(services);
  const upstreamDigest = pushFixtureUpstream(machine, `${services.registry}/${UPSTREAM}`);
  workspace = createTempWorkspace('kf-inspect-');
  workspace.write('build_settings.env', fixtureBuildSettings(`${services.registry}/${UPSTREAM}`));
  workspace.write('upstream-lock.json', fixtureCpuLock(`${services.registry}/${UPSTREAM}`, upstreamDigest));
  workspace.write(`images/${ROOT}/Dockerfile`, fixtureDockerfile(ROOT));
  for (const [name, lines] of Object.entries(FIXTURES)) {
    workspace.nxOk(['g', '@kubeflow-images/nx-plugin:image', name, `--parent=${ROOT}`, '--streams=cpu', '--no-interactive']);
    workspace.write(`images/${name}/Dockerfile`, ['ARG BASE_CONTAINER', 'FROM $BASE_CONTAINER', ...lines, ''].join('\n'));
    const projectPath = join(workspace.root, 'images', name, 'project.json');
    const project = JSON.parse(readFileSync(projectPath, 'utf8'));
    // Below the 10 MiB the chmod fixture wastes, above what the others waste.
    project.targets = { ...project.targets, 'inspect-cpu': { options: { maxWasteMiB: 5 } } };
    workspace.write(`images/${name}/project.json`, `${JSON.stringify(project, null, 2)}\n`);
  }
  workspace.write('images/rewrites/data.bin', 'd'.repeat(200_000));
  workspace.commit('inspect fixtures');
  run = workspace.nx(['run-many', '-t', 'inspect-cpu', '-p', Object.keys(FIXTURES).join(','), '--output-style=static', '--parallel=2'], machine.env);
});

afterAll(() => {
  const records = workspace ? [ROOT, ...Object.keys(FIXTURES)].map((project) => readRecordIn(workspace.root, project)) : [];
  removeDockerImages(records.flatMap((record) => (record ? [record.image] : [])));
  workspace?.remove();
  if (machine) rmSync(machine.dir, { recursive: true, force: true });
});

describe('inspect-cpu', () => {
  it('flags a chmod in a later RUN with the 10 MiB it duplicates, on the chmod line, and fails naming it', () => {
    const chmod = report('chmod-later');
    expect(chmod.wastedBytes).toBeGreaterThanOrEqual(10 * MIB);
    expect(chmod.wastedBytes).toBeLessThan(10.1 * MIB);
    expect(chmod.wasted).toEqual([{ path: '/big', bytes: 10 * MIB, layer: chmod.layers[chmod.layers.length - 1].digest, dockerfileLine: 4, reason: PERMISSIONS }]);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(
      `chmod-later:inspect-cpu: own layers waste 10.0 MiB, more than the limit of 5.0 MiB: images/chmod-later/Dockerfile:4 wastes 10.0 MiB: ${PERMISSIONS}; largest: /big (10.0 MiB)`,
    );
    expect(run.output).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  });

  it('finds no waste when the chmod is in the same RUN, and passes', () => {
    const same = report('chmod-same-run');
    expect(same.wastedBytes).toBe(0);
    expect(same.wasted).toEqual([]);
    expect(run.output).not.toMatch(/chmod-same-run:inspect-cpu: /);
    expect(failedTasks(run.output)).toEqual(['chmod-later:inspect-cpu']);
  });

  it('marks the parent\'s layers inherited and maps every own layer to its Dockerfile line', () => {
    const rewrites = report('rewrites');
    const record = readRecordIn(workspace.root, 'rewrites')!;
    expect(rewrites).toMatchObject({ project: 'rewrites', stream: 'cpu', image: record.image, digest: null });
    expect(rewrites.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const parentLayers = report('chmod-same-run').layers.filter((layer) => layer.inherited);
    expect(rewrites.layers.filter((layer) => layer.inherited).map((layer) => layer.digest)).toEqual(parentLayers.map((layer) => layer.digest));
    expect(rewrites.layers.filter((layer) => !layer.inherited).map((layer) => layer.dockerfileLine)).toEqual([3, 4, 5, 6, 7]);
    expect(rewrites.sizeBytes).toBe(rewrites.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0));
  });

  it('counts an unchanged re-copy and an overwrite, and reports a deleted file with its own reason', () => {
    const byPath = Object.fromEntries(report('rewrites').wasted.map((entry) => [entry.path, entry]));
    expect(byPath['/opt/data.bin']).toMatchObject({ bytes: 200_000, dockerfileLine: 5, reason: expect.stringMatching(/^stored again unchanged/) });
    expect(byPath['/opt/conf']).toMatchObject({ bytes: 3, dockerfileLine: 6, reason: expect.stringMatching(/^overwritten in a later layer/) });
    expect(byPath['/opt/scratch.bin']).toMatchObject({ bytes: 300_000, dockerfileLine: 7, reason: expect.stringMatching(/^deleted in a later layer than the one that added it/) });
    expect(report('rewrites').wastedBytes).toBe(500_003);
  });

  it('lists packages by running the image, with empty lists for absent managers', () => {
    expect(report('rewrites').packages).toEqual({ ...emptyPackageLists(), dpkg: [{ name: 'fixture-tool', version: '1.0' }] });
    expect(report('chmod-same-run').packages).toEqual(emptyPackageLists());
  });

  it('prints the layer table', () => {
    expect(run.output).toMatch(/layer\s+line\s+size\s+waste\s+created by/);
    expect(run.output).toMatch(/images\/chmod-later\/Dockerfile:4\s+10\.0 MiB\s+10\.0 MiB/);
  });
});

describe('both archive layouts', () => {
  it.each(Object.keys(FIXTURES))('%s: saved as oci-archive and as docker-archive, the same layers and waste as its report', async (project) => {
    const { image } = readRecordIn(workspace.root, project)!;
    const env = { ...process.env, ...machine.env };
    const [oci, docker] = await Promise.all([readSavedImage('podman', image, env, 'oci-archive'), readSavedImage('podman', image, env, 'docker-archive')]);
    expect(oci.imageId).toBe(docker.imageId);
    expect(oci.config).toEqual(docker.config);
    expect(oci.layers).toEqual(docker.layers);

    const shown = report(project);
    expect(oci.layers.map((layer) => [layer.diffId, layer.sizeBytes])).toEqual(shown.layers.map((layer) => [layer.digest, layer.sizeBytes]));
    const firstOwnLayer = shown.layers.filter((layer) => layer.inherited).length;
    const waste = (archive: typeof oci) => countWaste(archive.layers.map((layer) => layer.files), firstOwnLayer);
    expect(waste(oci)).toEqual(waste(docker));
    expect(waste(oci).reduce((sum, entry) => sum + entry.bytes, 0)).toBe(shown.wastedBytes);
  });
});
