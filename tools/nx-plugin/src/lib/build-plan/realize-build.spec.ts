import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import type { LocalImage } from '../engine/local-images';
import { EngineRunError } from '../engine/engine-output';
import { imageExecutorContext } from '../testing/executor-context';
import type { ImageBuildPlan } from './image-build-plan';
import { realizeBuild, type RealizeDependencies, type RealizeOptions } from './realize-build';

const TAG = 'content-0123456789abcdef01234567';
const REPOSITORY = 'localhost:5000/minimal-notebook-cpu';
const IMAGE = `${REPOSITORY}:${TAG}`;
const PARENT = 'localhost:5000/base-notebook-cpu:content-fedcba9876543210fedcba98';
const DIGEST = `sha256:${'d'.repeat(64)}`;
const IMAGE_ID = `sha256:${'1'.repeat(64)}`;

const plan: ImageBuildPlan = {
  project: 'minimal',
  stream: 'cpu',
  repository: REPOSITORY,
  contentTag: TAG,
  image: IMAGE,
  parent: PARENT,
  buildArgs: { BASE_CONTAINER: PARENT },
  dockerfile: '/workspace/images/minimal/Dockerfile',
  context: '/workspace/images/minimal',
};

const context = imageExecutorContext('minimal', 'build-cpu');

const options = (overrides: Partial<RealizeOptions> = {}): RealizeOptions => ({ push: false, cacheFrom: [], ...overrides });

/**
 * A registry, an engine storage and nx-container, in memory: nx-container
 * "builds" by putting the image in the storage (and the registry when it
 * pushes). `steps` is the order in which the build touched them;
 * `engineAnswers: false` stands for an engine that fails a lookup of an image it lacks.
 */
function world({ inRegistry = false, inStorage = false, withRegistry = true, engineAnswers = true, cacheTags = (): Promise<string[]> => Promise.resolve([]) } = {}) {
  const registryTags = new Map<string, string>(inRegistry ? [[IMAGE, DIGEST]] : []);
  const storage = new Map<string, string>(inStorage ? [[IMAGE, IMAGE_ID]] : []);
  const steps: string[] = [];
  const retags: { reference: string; tags: string[] }[] = [];
  const nxContainerRuns: Record<string, unknown>[] = [];
  const lines: string[] = [];
  let nxContainerResult: () => Promise<{ success: boolean }> = async () => ({ success: true });
  const deps: RealizeDependencies = {
    engine: 'podman',
    inspectLocalImage: async (reference): Promise<LocalImage> => {
      const id = storage.get(reference) ?? null;
      return { id, engineAnswered: id !== null || engineAnswers };
    },
    registry: withRegistry
      ? {
          manifestDigest: async (reference) => registryTags.get(reference) ?? null,
          retag: async (reference, tags) => {
            retags.push({ reference, tags });
            return registryTags.get(reference)!;
          },
          listTags: async (repository) => {
            steps.push(`list tags of ${repository}`);
            return cacheTags();
          },
        }
      : null,
    buildIsCertain: () => void steps.push('build is certain'),
    ensureEngineReady: (engineAnswered) => void steps.push(`engine ready? (answered: ${engineAnswered})`),
    prepareParent: async () => void steps.push('prepare parent'),
    prepareContext: async () => void steps.push('prepare context'),
    runNxContainer: async (nxOptions) => {
      steps.push('nx-container');
      nxContainerRuns.push(nxOptions);
      const result = await nxContainerResult();
      if (result.success) storage.set(IMAGE, IMAGE_ID);
      return result;
    },
    pushImage: async (image) => {
      steps.push('push');
      if (!storage.has(image)) throw new Error(`pushing ${image}, which the storage lacks`);
      registryTags.set(image, DIGEST);
    },
    log: (line) => void lines.push(line),
  };
  return {
    deps,
    steps,
    retags,
    nxContainerRuns,
    lines,
    storage,
    registryTags,
    failBuild: (result: () => Promise<{ success: boolean }>) => (nxContainerResult = result),
  };
}

async function configurationError(promise: Promise<unknown>): Promise<BuildConfigurationError> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(BuildConfigurationError);
  return error as BuildConfigurationError;
}

describe('realizeBuild: reuse', () => {
  it('reuses a content tag the registry has: no build, no pull, and no tag added (human tags move only in promotion)', async () => {
    const w = world({ inRegistry: true });
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(w.steps).toEqual([]);
    expect(w.retags).toEqual([]);
    expect(record).toMatchObject({ image: IMAGE, contentTag: TAG, parent: PARENT, source: 'registry', digest: DIGEST, imageId: null, planned: false, tags: [IMAGE] });
    expect(w.lines).toEqual([`${IMAGE} was in the registry (${DIGEST}): not rebuilt`]);
  });

  it("records the local image id of a registry image the engine happens to hold", async () => {
    const w = world({ inRegistry: true, inStorage: true });
    expect((await realizeBuild(plan, options(), w.deps, context)).imageId).toBe(IMAGE_ID);
  });

  it("reuses an image in the engine's storage when not pushing, without asking the engine to build", async () => {
    const w = world({ inStorage: true });
    const record = await realizeBuild(plan, options(), w.deps, context);
    expect(w.steps).toEqual([]);
    expect(record).toMatchObject({ source: 'local', imageId: IMAGE_ID, digest: null, tags: [IMAGE] });
    expect(w.lines).toEqual([`${IMAGE} was in podman's storage: not rebuilt`]);
  });

  it("reuses the engine's storage without any registry configured", async () => {
    const w = world({ inStorage: true, withRegistry: false });
    expect((await realizeBuild(plan, options(), w.deps, context)).source).toBe('local');
  });
});

describe('realizeBuild: build', () => {
  it('builds an absent image after making its parent and its context ready, and does not push', async () => {
    const w = world();
    const record = await realizeBuild(plan, options({ cacheFrom: [`${REPOSITORY}:main`] }), w.deps, context);
    expect(w.steps).toEqual(['engine ready? (answered: true)', 'build is certain', 'prepare parent', 'prepare context', 'nx-container']);
    expect(w.nxContainerRuns).toEqual([
      expect.objectContaining({
        engine: 'podman',
        file: plan.dockerfile,
        context: plan.context,
        'build-args': [`BASE_CONTAINER=${PARENT}`],
        tags: [IMAGE],
        push: false,
        'cache-from': [`${REPOSITORY}:main`],
      }),
    ]);
    expect(record).toMatchObject({ source: 'built', imageId: IMAGE_ID, digest: null, tags: [IMAGE] });
    expect(w.retags).toEqual([]);
  });

  it('gives podman the labels in one last line of a copy of the Dockerfile, removed after the build; docker gets them as --label', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'realize-build-spec-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nRUN true\n');
      const onDisk = { ...plan, dockerfile: join(dir, 'Dockerfile'), context: dir };
      const w = world();
      let built = '';
      const run = w.deps.runNxContainer;
      w.deps.runNxContainer = async (nxOptions, runContext) => {
        built = readFileSync(nxOptions.file as string, 'utf8');
        return run(nxOptions, runContext);
      };
      await realizeBuild(onDisk, options(), w.deps, context);
      const [podman] = w.nxContainerRuns;
      expect(podman).toMatchObject({ context: dir, labels: [] });
      expect(podman.file).not.toBe(onDisk.dockerfile);
      expect(built).toBe(`ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nRUN true\nLABEL "org.opencontainers.image.title"="minimal-notebook-cpu" "io.kubeflow-images.content-tag"="${TAG}"\n`);
      expect(existsSync(podman.file as string)).toBe(false);

      const d = world();
      d.deps.engine = 'docker';
      await realizeBuild(onDisk, options(), d.deps, context);
      expect(d.nxContainerRuns).toEqual([
        expect.objectContaining({ file: onDisk.dockerfile, labels: ['org.opencontainers.image.title=minimal-notebook-cpu', `io.kubeflow-images.content-tag=${TAG}`] }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('pushes the content tag only and records the digest: no commit or branch tag on content a build made', async () => {
    const w = world();
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    // Built by nx-container, pushed by the push step (which can be tried again alone).
    expect(w.nxContainerRuns).toEqual([expect.objectContaining({ tags: [IMAGE], push: false })]);
    expect(w.steps.slice(-2)).toEqual(['nx-container', 'push']);
    expect(w.retags).toEqual([]);
    expect(record).toMatchObject({ source: 'built', digest: DIGEST, tags: [IMAGE] });
  });

  it("builds again when pushing although the engine's storage has the image: the registry must get it", async () => {
    const w = world({ inStorage: true });
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(w.steps).toContain('nx-container');
    // The storage was not asked, so the engine's readiness is checked in full.
    expect(w.steps[0]).toBe('engine ready? (answered: false)');
    expect(record.source).toBe('built');
  });

  it('tells the readiness check when the engine could not answer about its storage', async () => {
    const w = world({ engineAnswers: false });
    await realizeBuild(plan, options(), w.deps, context);
    expect(w.steps[0]).toBe('engine ready? (answered: false)');
  });

  it('builds nothing when the engine is not ready', async () => {
    const w = world();
    w.deps.ensureEngineReady = () => {
      throw new BuildConfigurationError('podman is not usable (no podman): install podman');
    };
    expect((await configurationError(realizeBuild(plan, options(), w.deps, context))).message).toBe('podman is not usable (no podman): install podman');
    expect(w.steps).toEqual([]);
  });
});

describe('realizeBuild: refusals', () => {
  it('refuses to push without a registry, naming the project and both places to set one', async () => {
    const w = world({ withRegistry: false });
    const error = await configurationError(realizeBuild(plan, options({ push: true }), w.deps, context));
    expect(error.message).toBe(
      'minimal: push needs a registry: set IMAGE_REGISTRY (build_settings.env or environment) or the target\'s "registry" option, or set IMAGE_PUSH=false',
    );
    expect(w.steps).toEqual([]);
  });

  it('says why nx-container failed in one line naming the task: a parent the engine may not pull', async () => {
    const w = world();
    const output = `Error: creating build container: initializing source docker://${PARENT}: reading manifest: unauthorized: authentication required`;
    w.failBuild(async () => {
      throw new EngineRunError(output, 125, 'podman build failed');
    });
    const error = await configurationError(realizeBuild(plan, options(), w.deps, context));
    expect(error.message).toMatch(/^minimal:build-cpu: /);
    expect(error.message).toContain(`podman cannot pull the parent ${PARENT}: registry localhost:5000 refused access`);
    expect(error.message).toContain('podman login localhost:5000');
  });

  it('names the task, and blames no Dockerfile, when nx-container reports failure without output', async () => {
    const w = world();
    w.failBuild(async () => ({ success: false }));
    const error = await configurationError(realizeBuild(plan, options(), w.deps, context));
    expect(error.message).toBe("minimal:build-cpu: podman failed (nx-container reported failure): see the engine's output above");
  });

  it('refuses a build the engine reports as done but whose image is not in its storage', async () => {
    const w = world();
    w.deps.runNxContainer = async () => ({ success: true });
    const error = await configurationError(realizeBuild(plan, options(), w.deps, context));
    expect(error.message).toBe(`minimal: podman reported success but has no image ${IMAGE}: check the engine's storage`);
  });

  it('refuses a push the registry does not list afterwards', async () => {
    const w = world();
    w.deps.pushImage = async () => undefined;
    const error = await configurationError(realizeBuild(plan, options({ push: true }), w.deps, context));
    expect(error.message).toBe(`minimal: pushed ${IMAGE} but the registry does not list it: check the registry's storage`);
    expect(w.retags).toEqual([]);
  });
});

describe('realizeBuild: a failed push', () => {
  it('names the registry and its HTTP status, not the Dockerfile', async () => {
    const w = world();
    w.deps.pushImage = async () => {
      throw new EngineRunError(
        `Writing manifest to image destination\nError: writing manifest: uploading manifest content-1 to localhost:5000/x: received unexpected HTTP status: 500 Internal Server Error`,
        125,
        'podman push failed',
      );
    };
    const error = await configurationError(realizeBuild(plan, options({ push: true }), w.deps, context));
    expect(error.message).toMatch(new RegExp(`^minimal:build-cpu: registry localhost:5000 answered HTTP 500 while podman pushed ${IMAGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(`));
    expect(error.message).not.toContain('Dockerfile');
  });
});

describe('realizeBuild: a push refused before the engine runs', () => {
  it('keeps our own one-line refusal as it is', async () => {
    const w = world();
    const refusal = '/home/u/.docker/config.json names the credential helper "acr" (credHelpers["localhost:5000"]) for localhost:5000, but docker-credential-acr is not on PATH: install it';
    w.deps.pushImage = async () => {
      throw new BuildConfigurationError(refusal);
    };
    const error = await configurationError(realizeBuild(plan, options({ push: true }), w.deps, context));
    expect(error.message).toBe(refusal);
  });
});

describe('realizeBuild: layer cache', () => {
  const CACHE = `${REPOSITORY}-layer-cache`;
  const warnings = (w: ReturnType<typeof world>) => {
    const lines: string[] = [];
    w.deps.warn = (line) => void lines.push(line);
    return lines;
  };
  const cacheExportFailure = () =>
    Promise.reject(new EngineRunError(`STEP 2/6: COPY a /a\nError: failed pushing cache to {{{"localhost:5000" "x"} "abc"}}: 500 Internal Server Error\n`, 125, 'nx-container exited with code 125'));

  it('reads and writes the cache the registry has, beside the user cache-from, without a warning', async () => {
    const w = world({ cacheTags: async () => ['0a1b'] });
    const lines = warnings(w);
    await realizeBuild(plan, options({ push: true, cacheFrom: [`${REPOSITORY}:main`], layerCache: () => ({ repository: CACHE, read: true, write: true }) }), w.deps, context);
    expect(w.steps).toContain(`list tags of ${CACHE}`);
    expect(w.nxContainerRuns).toEqual([expect.objectContaining({ 'cache-from': [`${REPOSITORY}:main`, CACHE], 'cache-to': [CACHE] })]);
    expect(lines).toEqual([]);
  });

  it('warns once and builds without reading a cache the registry does not have, still writing it', async () => {
    const w = world();
    const lines = warnings(w);
    const record = await realizeBuild(plan, options({ push: true, layerCache: () => ({ repository: CACHE, read: true, write: true }) }), w.deps, context);
    expect(w.nxContainerRuns).toEqual([expect.objectContaining({ 'cache-from': [], 'cache-to': [CACHE] })]);
    expect(lines).toEqual([`no layer cache at ${CACHE} yet (first build, or pruned): building without it; this build writes it`]);
    expect(record.source).toBe('built');
  });

  it('warns once and builds with no cache at all when the registry cannot answer for it', async () => {
    const w = world({ cacheTags: () => Promise.reject(new Error('registry localhost:5000 answered 500 Internal Server Error')) });
    const lines = warnings(w);
    const record = await realizeBuild(plan, options({ push: true, layerCache: () => ({ repository: CACHE, read: true, write: true }) }), w.deps, context);
    expect(w.nxContainerRuns).toEqual([expect.objectContaining({ 'cache-from': [], 'cache-to': [] })]);
    expect(lines).toEqual([`layer cache ${CACHE} is unreadable (registry localhost:5000 answered 500 Internal Server Error): building without it and not writing it`]);
    expect(record.digest).toBe(DIGEST);
  });

  it('builds once more without exporting when buildah failed only because pushing the cache failed', async () => {
    const w = world({ cacheTags: async () => ['0a1b'] });
    const lines = warnings(w);
    let runs = 0;
    w.failBuild(() => (++runs === 1 ? cacheExportFailure() : Promise.resolve({ success: true })));
    const record = await realizeBuild(plan, options({ push: true, layerCache: () => ({ repository: CACHE, read: true, write: true }) }), w.deps, context);
    expect(w.nxContainerRuns.map((run) => [run['cache-from'], run['cache-to']])).toEqual([
      [[CACHE], [CACHE]],
      [[CACHE], []],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^exporting the layer cache to ${CACHE} failed \\(failed pushing cache to .*500 Internal Server Error\\): building again without exporting it$`));
    expect(record.source).toBe('built');
  });

  it('does not build again when the build failed for another reason, or did not export', async () => {
    const dockerfileError = () => Promise.reject(new EngineRunError('Error: building at STEP "RUN false": exit status 1\n', 1, 'nx-container exited with code 1'));
    for (const [failure, write] of [[dockerfileError, true], [cacheExportFailure, false]] as const) {
      const w = world({ cacheTags: async () => ['0a1b'] });
      w.failBuild(failure);
      await configurationError(realizeBuild(plan, options({ push: write, layerCache: () => ({ repository: CACHE, read: true, write }) }), w.deps, context));
      expect(w.nxContainerRuns).toHaveLength(1);
    }
  });

  it('asks who may write the cache only when the engine builds: a reused image asks nothing (no git)', async () => {
    for (const found of [{ inRegistry: true }, { inStorage: true }]) {
      const w = world(found);
      const asked = jest.fn(() => ({ repository: CACHE, read: true, write: true }));
      const record = await realizeBuild(plan, options({ push: !!found.inRegistry, layerCache: asked }), w.deps, context);
      expect(record.source).not.toBe('built');
      expect(asked).not.toHaveBeenCalled();
    }
  });

  it('leaves the cache alone without a registry', async () => {
    const w = world({ withRegistry: false });
    await realizeBuild(plan, options({ layerCache: () => ({ repository: CACHE, read: true, write: false }) }), w.deps, context);
    expect(w.nxContainerRuns).toEqual([expect.objectContaining({ 'cache-from': [], 'cache-to': [] })]);
  });
});

describe('realizeBuild: two runners pushing one content tag', () => {
  const THEIRS = `sha256:${'e'.repeat(64)}`;
  const THEIR_IMAGE_ID = `sha256:${'2'.repeat(64)}`;

  function withPulls(w: ReturnType<typeof world>) {
    const pulls: string[] = [];
    w.deps.pullByDigest = async (reference, image) => {
      pulls.push(`${reference} as ${image}`);
      w.storage.set(image, THEIR_IMAGE_ID);
    };
    return pulls;
  }

  it('does not push a tag another runner pushed while this one built: it records the tag\'s digest and uses that image', async () => {
    const w = world();
    const pulls = withPulls(w);
    const run = w.deps.runNxContainer;
    w.deps.runNxContainer = async (nxOptions, ctx) => {
      const result = await run(nxOptions, ctx);
      w.registryTags.set(IMAGE, THEIRS);
      return result;
    };
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(w.steps).not.toContain('push');
    expect(record).toMatchObject({ digest: THEIRS, imageId: THEIR_IMAGE_ID, source: 'built' });
    expect(pulls).toEqual([`${REPOSITORY}@${THEIRS} as ${IMAGE}`]);
    expect(w.lines).toContain(`${IMAGE}: another runner pushed the same content tag while this one built: recording the tag's digest ${THEIRS} and using its image`);
  });

  it("reads the tag back after its push: when another runner's push won, it records and uses that one", async () => {
    const w = world();
    const pulls = withPulls(w);
    w.deps.pushImage = async (image) => {
      w.steps.push('push');
      // Ours landed, then theirs overwrote the tag.
      w.registryTags.set(image, THEIRS);
      return DIGEST;
    };
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(record).toMatchObject({ digest: THEIRS, imageId: THEIR_IMAGE_ID });
    expect(pulls).toEqual([`${REPOSITORY}@${THEIRS} as ${IMAGE}`]);
    expect(w.lines.at(-1)).toMatch(/at the same time, and its push won \(this one pushed sha256:d+\)/);
  });

  it("waits as long as its push took before reading back: another runner's push that lands meanwhile is the one recorded and used", async () => {
    const w = world();
    const pulls = withPulls(w);
    let clock = 0;
    const waits: number[] = [];
    w.deps.now = () => clock;
    w.deps.pushImage = async (image) => {
      clock += 4_200;
      w.registryTags.set(image, DIGEST);
      return DIGEST;
    };
    w.deps.sleep = async (ms) => {
      waits.push(ms);
      // The other runner found the tag absent before ours landed; its push lands after ours.
      w.registryTags.set(IMAGE, THEIRS);
    };
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(waits).toEqual([4_200]);
    expect(record).toMatchObject({ digest: THEIRS, imageId: THEIR_IMAGE_ID });
    expect(pulls).toEqual([`${REPOSITORY}@${THEIRS} as ${IMAGE}`]);
    expect(w.lines).toContain(`${IMAGE}: pushed in 4.2 s; reading the tag back in 4.2 s, once a push of the same content tag that another runner had under way has landed`);
  });

  it('does not wait when it did not push: a tag another runner pushed while this one built is final for it', async () => {
    const w = world();
    withPulls(w);
    const run = w.deps.runNxContainer;
    w.deps.runNxContainer = async (nxOptions, ctx) => {
      const result = await run(nxOptions, ctx);
      w.registryTags.set(IMAGE, THEIRS);
      return result;
    };
    const waits: number[] = [];
    w.deps.sleep = async (ms) => void waits.push(ms);
    await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(waits).toEqual([]);
  });

  it('keeps its own digest when the read-back names it', async () => {
    const w = world();
    const pulls = withPulls(w);
    w.deps.pushImage = async (image) => {
      w.registryTags.set(image, DIGEST);
      return DIGEST;
    };
    const record = await realizeBuild(plan, options({ push: true }), w.deps, context);
    expect(record).toMatchObject({ digest: DIGEST, imageId: IMAGE_ID });
    expect(pulls).toEqual([]);
  });
});
