import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { inspectImage } from '../../lib/inspect/inspect-image';
import { emptyPackageLists } from '../../lib/inspect/packages';
import { inspectReportPath, type InspectReport } from '../../lib/inspect/report';
import { builtRecord, plannedRecord, writeRecord } from '../../lib/records/build-record';
import { captureLogger, imageExecutorContext } from '../../lib/testing/executor-context';
import { withTempDir } from '../../lib/testing/temp-dir';
import inspectExecutor from './executor';
import type { InspectExecutorOptions } from './schema';

// Reading layers and running the image is inspect-image's business (its own
// specs, and tools/e2e/inspect.spec.ts on real images); this spec covers what
// the executor decides around it: which record, which Dockerfile, the gate.
jest.mock('../../lib/inspect/inspect-image', () => ({ inspectImage: jest.fn() }));
jest.mock('../../lib/engine/container-guard', () => ({ guardContainer: () => () => undefined }));

const MIB = 1024 * 1024;
/** The options as Nx passes them: schema.json's defaults applied. */
const DEFAULTS: InspectExecutorOptions = { stream: 'cpu', maxWasteMiB: 20 };
const PLAN = { project: 'demo', stream: 'cpu' as const, image: 'localhost:5000/demo-cpu:content-1', contentTag: 'content-1', parent: 'localhost:5000/base-cpu:content-0' };

function reportWasting(bytes: number): InspectReport {
  return {
    project: 'demo',
    stream: 'cpu',
    image: PLAN.image,
    digest: null,
    imageId: 'sha256:image',
    sizeBytes: 100 * MIB,
    layers: [{ digest: 'sha256:own', sizeBytes: 100 * MIB, createdBy: 'RUN chmod -R g+w /opt', dockerfileLine: 3, inherited: false, wastedBytes: bytes }],
    wastedBytes: bytes,
    wasted: bytes ? [{ path: 'opt/big.bin', bytes, layer: 'sha256:own', dockerfileLine: 3, reason: 'metadata-only change (chmod/chown) stores the file again' }] : [],
    wastedFiles: bytes ? 1 : 0,
    packages: emptyPackageLists(),
  };
}

describe('inspect executor', () => {
  let root = '';
  withTempDir('kf-inspect-executor-', (dir) => (root = dir));
  let log: ReturnType<typeof captureLogger>;
  const errors = () => log.errors().join('\n');

  const context = (): ExecutorContext => ({
    ...imageExecutorContext('demo', 'inspect-cpu'),
    root,
    projectsConfigurations: { version: 2, projects: { demo: { root: 'images/demo', targets: { 'build-cpu': { options: {} } } } } },
  });

  beforeEach(() => {
    log = captureLogger();
    jest.mocked(inspectImage).mockReset();
    mkdirSync(join(root, 'images', 'demo'), { recursive: true });
    writeFileSync(join(root, 'images', 'demo', 'Dockerfile'), 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nRUN chmod -R g+w /opt\n');
    writeRecord(root, builtRecord(PLAN, { tags: [PLAN.image], imageId: 'sha256:image', digest: null, source: 'built' }));
  });
  afterEach(() => jest.restoreAllMocks());

  it('inspects the image its record names, against its Dockerfile, and writes the report', async () => {
    jest.mocked(inspectImage).mockResolvedValue(reportWasting(0));
    await expect(inspectExecutor(DEFAULTS, context())).resolves.toEqual({ success: true });
    const [target] = jest.mocked(inspectImage).mock.calls[0];
    expect(target).toMatchObject({ project: 'demo', stream: 'cpu', image: PLAN.image, parent: PLAN.parent, dockerfile: 'images/demo/Dockerfile' });
    expect(target.dockerfileText).toContain('RUN chmod -R g+w /opt');
    expect(JSON.parse(readFileSync(inspectReportPath(root, 'demo', 'cpu'), 'utf8'))).toEqual(reportWasting(0));
  });

  it('fails over maxWasteMiB naming the Dockerfile line, and still writes the report', async () => {
    jest.mocked(inspectImage).mockResolvedValue(reportWasting(30 * MIB));
    await expect(inspectExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
    expect(errors()).toBe(
      'demo:inspect-cpu: own layers waste 30.0 MiB, more than the limit of 20.0 MiB: images/demo/Dockerfile:3 wastes 30.0 MiB: metadata-only change (chmod/chown) stores the file again; largest: opt/big.bin (30.0 MiB)',
    );
    expect(existsSync(inspectReportPath(root, 'demo', 'cpu'))).toBe(true);
  });

  it('passes the same waste under a higher per-image limit', async () => {
    jest.mocked(inspectImage).mockResolvedValue(reportWasting(30 * MIB));
    await expect(inspectExecutor({ ...DEFAULTS, maxWasteMiB: 40 }, context())).resolves.toEqual({ success: true });
  });

  it('refuses a negative limit, naming the option and the project', async () => {
    await expect(inspectExecutor({ ...DEFAULTS, maxWasteMiB: -1 }, context())).resolves.toEqual({ success: false });
    expect(errors()).toBe('demo:inspect-cpu: option maxWasteMiB in the project.json of demo must be a number of MiB >= 0, not -1');
    expect(inspectImage).not.toHaveBeenCalled();
  });

  it('refuses a planned record: nothing was built to inspect', async () => {
    writeRecord(root, plannedRecord(PLAN));
    await expect(inspectExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
    expect(errors()).toBe('demo:inspect-cpu: the build record of demo (cpu) is a plan, nothing was built: run nx run demo:build-cpu without --configuration=plan');
    expect(inspectImage).not.toHaveBeenCalled();
  });

  it('names the missing Dockerfile it maps layers to', async () => {
    const withOtherDockerfile = context();
    withOtherDockerfile.projectsConfigurations!.projects.demo.targets!['build-cpu'].options = { dockerfile: 'images/demo/Dockerfile.missing' };
    await expect(inspectExecutor(DEFAULTS, withOtherDockerfile)).resolves.toEqual({ success: false });
    expect(errors()).toBe('demo:inspect-cpu: images/demo/Dockerfile.missing not found: inspect maps the layers of demo to the Dockerfile it was built from');
  });

  it('leaves no previous report behind when this inspect fails', async () => {
    jest.mocked(inspectImage).mockResolvedValue(reportWasting(0));
    await inspectExecutor(DEFAULTS, context());
    jest.mocked(inspectImage).mockRejectedValue(new Error('podman save failed'));
    await expect(inspectExecutor(DEFAULTS, context())).resolves.toEqual({ success: false });
    expect(errors()).toBe('demo:inspect-cpu: podman save failed');
    expect(existsSync(inspectReportPath(root, 'demo', 'cpu'))).toBe(false);
  });
});
