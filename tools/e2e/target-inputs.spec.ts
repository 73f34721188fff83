import { join } from 'node:path';
import { generatorCodeFiles } from '@kubeflow-images/plugin-lib/gpu-upstream/upstream-identity';
import { compilerClosure } from '@kubeflow-images/plugin-lib/plugin-build/compiler-closure.test-helper';
import { executorEntries } from '@kubeflow-images/plugin-lib/plugin-build/plugin-sources';
import { SETTINGS } from '@kubeflow-images/plugin-lib/settings/setting-scopes';
import { EXECUTOR_PACKAGE } from '@kubeflow-images/plugin-lib/targets/image-targets';
import { expectNxSuccess, nxIn, WORKSPACE_ROOT } from './support/temp-workspace';

const SOURCES = join(WORKSPACE_ROOT, 'tools', 'nx-plugin', 'src');

interface TargetInputs {
  files: string[];
  environment?: string[];
  external?: string[];
}

interface ProjectJson {
  name: string;
  targets: Record<string, { executor?: string; cache?: boolean }>;
}

/** What Nx itself hashes for every cached target of every image (images taken from the graph). */
describe('nx show target inputs: every cached target of every image covers the code its executor runs', () => {
  const nxJson = (args: string[]) => {
    const result = nxIn(WORKSPACE_ROOT, args);
    expectNxSuccess(result);
    return JSON.parse(result.output.slice(result.output.search(/[[{]/)));
  };
  const projects: string[] = nxJson(['show', 'projects', '--json']);
  const cached = projects.flatMap((project) => {
    const config = nxJson(['show', 'project', project, '--json']) as ProjectJson;
    return Object.entries(config.targets)
      .filter(([, target]) => target.cache && target.executor?.startsWith(`${EXECUTOR_PACKAGE}:`))
      .map(([target, { executor }]) => ({ id: `${project}:${target}`, executor: executor!.split(':')[1] }));
  });
  const entries = executorEntries(join(SOURCES, '..'));

  it('finds the cached targets in the graph', () => {
    expect(cached.map(({ id }) => id)).toEqual(expect.arrayContaining(['base:build-cpu', 'base:lint', 'base:test-cpu', 'base:inspect-cpu', 'gpu-upstream:generate']));
  });

  it.each(cached.map((entry) => [entry.id, entry] as const))('%s', (id, { executor }) => {
    const hashed = executor === 'build' ? generatorCodeFiles(join(SOURCES, 'lib', 'gpu-upstream')).map((file) => `lib/gpu-upstream/${file}`) : [];
    const closure = compilerClosure(WORKSPACE_ROOT, SOURCES, [...entries[executor], ...hashed]);
    const inputs = nxJson(['show', 'target', 'inputs', id, '--json']) as TargetInputs;
    expect(closure.files.filter((file) => !inputs.files.includes(file))).toEqual([]);
    expect(closure.packages.filter((name) => !(inputs.external ?? []).includes(`npm:${name}`))).toEqual([]);
    // The layer cache makes a build faster and never changes what is built: it is in no cache key.
    expect(inputs.environment ?? []).not.toContain('IMAGE_LAYER_CACHE');
    // A pin of the other stream, even set in the environment, is in no key of this stream's builds and tests.
    const stream = /-(cpu|gpu)$/.exec(id)?.[1];
    if (stream) expect((inputs.environment ?? []).filter((key) => (SETTINGS as Record<string, { scope: string }>)[key]?.scope === (stream === 'cpu' ? 'gpu' : 'cpu'))).toEqual([]);
  });
});
