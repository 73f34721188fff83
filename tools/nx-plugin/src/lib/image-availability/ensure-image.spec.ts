import type { BuildRecord } from '../records/build-record';
import { configurationErrorOf } from '../testing/configuration-error';
import { ensureImage, type AvailabilityOperations } from './ensure-image';

const IMAGE = 'localhost:5000/e2e/base-notebook-cpu:content-0123456789abcdef01234567';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const RECORD: BuildRecord = {
  project: 'base',
  stream: 'cpu',
  image: IMAGE,
  contentTag: 'content-0123456789abcdef01234567',
  parent: 'quay.io/jupyter/datascience-notebook:abc',
  tags: [IMAGE],
  imageId: 'sha256:1',
  digest: null,
  planned: false,
  source: 'built',
  recipe: { dockerfile: 'images/base/Dockerfile', context: 'images/base', buildArgs: {} },
};

function operations(state: { inEngine?: boolean; digest?: string | null }) {
  const calls: string[] = [];
  const ops: AvailabilityOperations = {
    engine: 'podman',
    inEngine: async () => !!state.inEngine,
    registryDigest: async () => state.digest ?? null,
    pullByDigest: async (reference, image) => void calls.push(`pull ${reference} as ${image}`),
    rebuild: async (record) => void calls.push(`rebuild ${record.project}`),
    log: (line) => void calls.push(`log ${line}`),
  };
  return { ops, calls };
}

describe('ensureImage', () => {
  it('does nothing when the engine has the image', async () => {
    const { ops, calls } = operations({ inEngine: true, digest: DIGEST });
    expect(await ensureImage(RECORD, ops)).toBe('engine');
    expect(calls).toEqual([]);
  });

  it('pulls by digest when the registry has it, and says why', async () => {
    const { ops, calls } = operations({ digest: DIGEST });
    expect(await ensureImage(RECORD, ops)).toBe('pulled');
    expect(calls).toEqual([
      `log ${IMAGE} (base's build record) is not in podman's storage: pulling it from the registry by digest (${DIGEST})`,
      `pull localhost:5000/e2e/base-notebook-cpu@${DIGEST} as ${IMAGE}`,
    ]);
  });

  it('rebuilds from the recipe when neither the engine nor the registry has it', async () => {
    const { ops, calls } = operations({});
    expect(await ensureImage(RECORD, ops)).toBe('rebuilt');
    expect(calls.at(-1)).toBe('rebuild base');
    expect(calls[0]).toMatch(/nor in a registry: rebuilding it from its record \(images\/base\/Dockerfile\)$/);
  });

  it('names the image, why it is missing and the command when there is no recipe', async () => {
    const { ops } = operations({});
    const { recipe: _recipe, ...withoutRecipe } = RECORD;
    const error = await ensureImage(withoutRecipe, ops).catch((e) => e);
    expect(configurationErrorOf(() => { throw error; }).message).toBe(
      `${IMAGE} (base's build record, restored from the Nx cache) is not in podman's storage nor in a registry, and the record has no recipe to rebuild it from: run npx nx run base:build-cpu --skip-nx-cache`,
    );
    expect(error.message).not.toMatch(/Dockerfile/);
  });
});
