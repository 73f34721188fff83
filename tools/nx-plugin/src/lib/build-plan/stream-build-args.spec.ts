import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../content-tag/content-tag';
import { parseDockerfile } from '../dockerfile/parse-dockerfile';
import { planImageBuild, type PlanInputs } from './image-build-plan';

/**
 * The production images' stream-specific build args (streams differ only by
 * parent and the build args each target declares), read from the committed
 * project.json files (the inferred build targets set only the stream).
 */
const WORKSPACE = join(__dirname, '..', '..', '..', '..', '..');

interface Project {
  root: string;
  targets?: Record<string, { options?: Record<string, unknown> }>;
  metadata: { streams: string[] };
}

const projects: Project[] = readdirSync(join(WORKSPACE, 'images'))
  .filter((name) => existsSync(join(WORKSPACE, 'images', name, 'project.json')))
  .map((name) => ({ root: `images/${name}`, ...JSON.parse(readFileSync(join(WORKSPACE, 'images', name, 'project.json'), 'utf8')) }));

function buildArgsOf(project: Project, target: string): Record<string, string> {
  const options = project.targets?.[target]?.options ?? {};
  return (options.buildArgs as Record<string, string>) ?? {};
}

function declaredArgs(project: Project): string[] {
  const file = join(WORKSPACE, project.root, 'Dockerfile');
  if (!existsSync(file)) return [];
  return parseDockerfile(readFileSync(file, 'utf8'))
    .instructions.filter((i) => i.keyword === 'ARG')
    .map((i) => i.args.split('=')[0].trim());
}

function planWith(buildArgs: Record<string, string>) {
  const inputs: PlanInputs = {
    project: 'machine-learning',
    stream: 'gpu',
    imageName: 'machine-learning-notebook',
    registry: '',
    dockerfile: 'images/machine-learning/Dockerfile',
    dockerfileSha256: sha256(readFileSync(join(WORKSPACE, 'images/machine-learning/Dockerfile'), 'utf8')),
    context: 'images/machine-learning',
    contextFiles: [],
    parentSource: { kind: 'project', project: 'minimal' },
    parentRecord: {
      project: 'minimal',
      stream: 'gpu',
      image: 'minimal-notebook-gpu:content-0',
      contentTag: 'content-0',
      parent: 'base-notebook-gpu:content-1',
      tags: ['minimal-notebook-gpu:content-0'],
      imageId: null,
      digest: null,
      planned: true,
      source: 'planned',
    },
    buildArgs,
    planOnly: true,
  };
  return planImageBuild(inputs);
}

describe('stream-specific build args of the production images', () => {
  it.each(projects.flatMap((p) => p.metadata.streams.map((stream) => [p.root, `build-${stream}`, p] as const)))(
    '%s %s: every build arg is an ARG of its Dockerfile (an undeclared one would be silently ignored)',
    (_root, target, project) => {
      const declared = declaredArgs(project);
      for (const name of Object.keys(buildArgsOf(project, target))) expect(declared).toContain(name);
    },
  );

  it('machine-learning build-gpu passes the CUDA wheels; build-cpu keeps the cpu defaults of the Dockerfile', () => {
    const ml = projects.find((p) => p.root === 'images/machine-learning')!;
    expect(buildArgsOf(ml, 'build-gpu')).toEqual({
      TORCH_INDEX_URL: 'https://download.pytorch.org/whl/cu129',
      TENSORFLOW_PACKAGE: 'tensorflow[and-cuda]',
      XGBOOST_PACKAGE: 'xgboost',
    });
    expect(buildArgsOf(ml, 'build-cpu')).toEqual({});
  });

  it('the gpu plan hands them to the engine and they change its content tag', () => {
    const ml = projects.find((p) => p.root === 'images/machine-learning')!;
    const gpu = planWith(buildArgsOf(ml, 'build-gpu'));
    expect(gpu.buildArgs).toMatchObject({ TORCH_INDEX_URL: 'https://download.pytorch.org/whl/cu129', TENSORFLOW_PACKAGE: 'tensorflow[and-cuda]' });
    expect(gpu.contentTag).not.toBe(planWith({}).contentTag);
  });
});
