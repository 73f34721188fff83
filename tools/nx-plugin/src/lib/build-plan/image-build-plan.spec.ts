import { contentTag, sha256 } from '../content-tag/content-tag';
import { plannedRecord, type BuildRecord } from '../records/build-record';
import { dockerfileWithLabels, imageLabels, planImageBuild, toNxContainerOptions, type PlanInputs } from './image-build-plan';
import { configurationErrorOf } from '../testing/configuration-error';

const PARENT_TAG = 'content-fedcba9876543210fedcba98';

function parentRecord(overrides: Partial<BuildRecord> = {}): BuildRecord {
  return {
    project: 'base',
    stream: 'cpu',
    image: `myacr.azurecr.io/base-notebook-cpu:${PARENT_TAG}`,
    contentTag: PARENT_TAG,
    parent: 'quay.io/jupyter/datascience-notebook:abc123def456',
    tags: [`myacr.azurecr.io/base-notebook-cpu:${PARENT_TAG}`],
    imageId: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
    digest: null,
    planned: false,
    source: 'built',
    ...overrides,
  };
}

function inputs(overrides: Partial<PlanInputs> = {}): PlanInputs {
  return {
    project: 'minimal',
    stream: 'cpu',
    imageName: 'minimal-notebook',
    registry: 'myacr.azurecr.io',
    dockerfile: 'images/minimal/Dockerfile',
    dockerfileSha256: sha256('ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\n'),
    context: 'images/minimal',
    contextFiles: [{ path: 'Dockerfile', sha256: sha256('ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\n'), executable: false }],
    parentSource: { kind: 'project', project: 'base' },
    parentRecord: parentRecord(),
    buildArgs: { PYTHON_VERSION: '3.11' },
    planOnly: false,
    ...overrides,
  };
}


/** base's record as plan mode writes it: nothing built. */
const plannedBaseRecord = (stream: 'cpu' | 'gpu') =>
  plannedRecord({ project: 'base', stream, image: `base-notebook-${stream}:${PARENT_TAG}`, contentTag: PARENT_TAG, parent: null });

describe('planImageBuild', () => {
  it("builds on the parent's recorded image: BASE_CONTAINER is the record's image", () => {
    const plan = planImageBuild(inputs());
    expect(plan.parent).toBe(`myacr.azurecr.io/base-notebook-cpu:${PARENT_TAG}`);
    expect(plan.buildArgs).toEqual({ PYTHON_VERSION: '3.11', BASE_CONTAINER: `myacr.azurecr.io/base-notebook-cpu:${PARENT_TAG}` });
    expect(plan.repository).toBe('myacr.azurecr.io/minimal-notebook-cpu');
    expect(plan.contentTag).toMatch(/^content-[0-9a-f]{24}$/);
    expect(plan.image).toBe(`myacr.azurecr.io/minimal-notebook-cpu:${plan.contentTag}`);
    expect(plan).toMatchObject({
      project: 'minimal',
      stream: 'cpu',
      dockerfile: 'images/minimal/Dockerfile',
      context: 'images/minimal',
    });
  });

  it("derives the content tag from the parent's content tag and the user's build args (without BASE_CONTAINER)", () => {
    const i = inputs();
    expect(planImageBuild(i).contentTag).toBe(
      contentTag({
        stream: 'cpu',
        dockerfileSha256: i.dockerfileSha256,
        contextFiles: i.contextFiles,
        parentIdentity: PARENT_TAG,
        buildArgs: { PYTHON_VERSION: '3.11' },
      }),
    );
  });

  it("keeps the child's tag when only the registry prefix of the parent's image changes", () => {
    const here = planImageBuild(inputs());
    const elsewhere = planImageBuild(
      inputs({ parentRecord: parentRecord({ image: `localhost:5000/base-notebook-cpu:${PARENT_TAG}` }) }),
    );
    expect(elsewhere.contentTag).toBe(here.contentTag);
    expect(elsewhere.buildArgs.BASE_CONTAINER).toBe(`localhost:5000/base-notebook-cpu:${PARENT_TAG}`);
  });

  it("keeps the child's tag when its own registry changes, but not its image reference", () => {
    const here = planImageBuild(inputs());
    const local = planImageBuild(inputs({ registry: '' }));
    expect(local.contentTag).toBe(here.contentTag);
    expect(local.image).toBe(`minimal-notebook-cpu:${here.contentTag}`);
  });

  it("changes the child's tag when the parent's content tag changes", () => {
    const changed = planImageBuild(
      inputs({ parentRecord: parentRecord({ contentTag: 'content-000000000000000000000000' }) }),
    );
    expect(changed.contentTag).not.toBe(planImageBuild(inputs()).contentTag);
  });

  it("refuses a planned parent record for a real build, naming the parent and the fix", () => {
    const planned = plannedBaseRecord('gpu');
    const error = configurationErrorOf(() => planImageBuild(inputs({ stream: 'gpu', parentRecord: planned, planOnly: false })));
    expect(error.message).toContain('minimal:build-gpu');
    expect(error.message).toContain("base's planned record");
    expect(error.message).toContain('nx run base:build-gpu');
  });

  it('accepts a planned parent record in plan mode', () => {
    const planned = plannedBaseRecord('cpu');
    const plan = planImageBuild(inputs({ parentRecord: planned, planOnly: true }));
    expect(plan.parent).toBe(`base-notebook-cpu:${PARENT_TAG}`);
    expect(plan.contentTag).toBe(planImageBuild(inputs()).contentTag);
  });

  it('builds a root image on its pin; the pin is its parent identity', () => {
    const pin = 'quay.io/jupyter/datascience-notebook:abc123def456';
    const plan = planImageBuild(
      inputs({
        project: 'base',
        imageName: 'base-notebook',
        parentSource: { kind: 'pinned', reference: pin, settingKey: 'UPSTREAM_CONTAINER_CPU' },
        parentRecord: null,
      }),
    );
    expect(plan.parent).toBe(pin);
    expect(plan.buildArgs.BASE_CONTAINER).toBe(pin);
    const otherPin = planImageBuild(
      inputs({
        project: 'base',
        imageName: 'base-notebook',
        parentSource: { kind: 'pinned', reference: `${pin}0`, settingKey: 'UPSTREAM_CONTAINER_CPU' },
        parentRecord: null,
      }),
    );
    expect(otherPin.contentTag).not.toBe(plan.contentTag);
  });

  it('sets no BASE_CONTAINER when the Dockerfile names its own base', () => {
    const plan = planImageBuild(
      inputs({
        project: 'gpu-upstream',
        stream: 'gpu',
        imageName: 'gpu-upstream',
        parentSource: { kind: 'own-dockerfile' },
        parentRecord: null,
      }),
    );
    expect(plan.parent).toBeNull();
    expect(plan.buildArgs).toEqual({ PYTHON_VERSION: '3.11' });
    expect('BASE_CONTAINER' in plan.buildArgs).toBe(false);
  });

  it('shows a generated upstream\'s locked base as its parent, without BASE_CONTAINER, and takes its identity from the pins', () => {
    const base = `nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04@sha256:${'e'.repeat(64)}`;
    const generated = (identity: string) =>
      planImageBuild(
        inputs({
          project: 'gpu-upstream',
          stream: 'gpu',
          imageName: 'upstream-equivalent-notebook',
          dockerfileSha256: '',
          contextFiles: [],
          parentSource: { kind: 'own-dockerfile' },
          parentRecord: null,
          buildArgs: {},
          generatedFrom: { base, identity },
        }),
      );
    const plan = generated('pins-1');
    expect(plan.parent).toBe(base);
    expect(plan.buildArgs).toEqual({});
    expect(generated('pins-2').contentTag).not.toBe(plan.contentTag);
  });

  it('rejects BASE_CONTAINER in the user build args, naming the target', () => {
    const error = configurationErrorOf(() => planImageBuild(inputs({ buildArgs: { BASE_CONTAINER: 'ubuntu:24.04' } })));
    expect(error.message).toContain('minimal:build-cpu sets BASE_CONTAINER in buildArgs');
    expect(error.message).toContain('remove it');
  });

  it("does not modify the caller's build args", () => {
    const buildArgs = { PYTHON_VERSION: '3.11' };
    planImageBuild(inputs({ buildArgs }));
    expect(buildArgs).toEqual({ PYTHON_VERSION: '3.11' });
  });
});

describe('dockerfileWithLabels', () => {
  const labels = { 'org.opencontainers.image.title': 'minimal-notebook-cpu', 'io.kubeflow-images.content-tag': 'content-0123' };

  it('adds the labels as one LABEL line after the last instruction, whatever the file ends with', () => {
    const expected = 'FROM x\nRUN true\nLABEL "org.opencontainers.image.title"="minimal-notebook-cpu" "io.kubeflow-images.content-tag"="content-0123"\n';
    expect(dockerfileWithLabels('FROM x\nRUN true\n', labels)).toBe(expected);
    expect(dockerfileWithLabels('FROM x\nRUN true', labels)).toBe(expected);
    expect(dockerfileWithLabels('FROM x\nRUN true\n\n  \n', labels)).toBe(expected);
  });

  it('gives null where the last line continues, so an added line cannot become part of the last instruction', () => {
    expect(dockerfileWithLabels('FROM x\nRUN true && \\\n', labels)).toBeNull();
    expect(dockerfileWithLabels('# escape=`\nFROM x\nRUN true `\n', labels)).toBeNull();
  });

  it('carries the labels of the plan: the image title and its content tag', () => {
    const plan = planImageBuild(inputs());
    expect(imageLabels(plan)).toEqual({ 'org.opencontainers.image.title': 'minimal-notebook-cpu', 'io.kubeflow-images.content-tag': plan.contentTag });
  });
});

describe('toNxContainerOptions', () => {
  it('builds the labelled Dockerfile instead of passing --label when given one', () => {
    const plan = planImageBuild(inputs());
    const options = toNxContainerOptions(plan, 'podman', [plan.image], true, [], [], '/tmp/labelled/Dockerfile');
    expect(options.file).toBe('/tmp/labelled/Dockerfile');
    expect(options.context).toBe(plan.context);
    expect(options.labels).toEqual([]);
  });

  it('maps build args to KEY=VALUE and passes file, context, tags, cache-from and push', () => {
    const plan = planImageBuild(inputs({ buildArgs: { PYTHON_VERSION: '3.11', EMPTY: '', WITH_EQUALS: 'a=b' } }));
    const tags = [plan.image, 'myacr.azurecr.io/minimal-notebook-cpu:latest'];
    const options = toNxContainerOptions(plan, 'podman', tags, true, ['myacr.azurecr.io/minimal-notebook-cpu:latest']);
    expect(options.engine).toBe('podman');
    expect(options.file).toBe('images/minimal/Dockerfile');
    expect(options.context).toBe('images/minimal');
    expect([...(options['build-args'] as string[])].sort()).toEqual(
      [`BASE_CONTAINER=myacr.azurecr.io/base-notebook-cpu:${PARENT_TAG}`, 'EMPTY=', 'PYTHON_VERSION=3.11', 'WITH_EQUALS=a=b'].sort(),
    );
    expect(options.tags).toEqual(tags);
    expect(options.push).toBe(true);
    expect(options['cache-from']).toEqual(['myacr.azurecr.io/minimal-notebook-cpu:latest']);
    expect(options.labels).toEqual(
      expect.arrayContaining([
        'org.opencontainers.image.title=minimal-notebook-cpu',
        `io.kubeflow-images.content-tag=${plan.contentTag}`,
      ]),
    );
    expect(options.load).toBe(false);
  });

  it('passes push false, and loads into docker when the engine is docker', () => {
    const plan = planImageBuild(inputs());
    const options = toNxContainerOptions(plan, 'docker', [plan.image], false, []);
    expect(options.push).toBe(false);
    expect(options.tags).toEqual([plan.image]);
    expect(options.load).toBe(true);
  });
});
