import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { plannedRecord, readRecord, UnreadableRecordError, recipeOf, recordPath, removeRecord, writeRecord, type BuildRecord } from './build-record';
import { configurationErrorOf } from '../testing/configuration-error';
import { withTempDir } from '../testing/temp-dir';

const RECORD: BuildRecord = {
  project: 'minimal',
  stream: 'cpu',
  image: 'myacr.azurecr.io/minimal-notebook-cpu:content-0123456789abcdef01234567',
  contentTag: 'content-0123456789abcdef01234567',
  parent: 'myacr.azurecr.io/base-notebook-cpu:content-fedcba9876543210fedcba98',
  tags: [
    'myacr.azurecr.io/minimal-notebook-cpu:content-0123456789abcdef01234567',
    'myacr.azurecr.io/minimal-notebook-cpu:latest',
  ],
  imageId: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  digest: 'sha256:2222222222222222222222222222222222222222222222222222222222222222',
  planned: false,
  source: 'built',
};

describe('build records', () => {
  let root: string;
  withTempDir('build-record-', (dir) => (root = dir));

  it('lives at dist/images/<project>/<stream>.json', () => {
    expect(recordPath(root, 'minimal', 'cpu')).toBe(join(root, 'dist', 'images', 'minimal', 'cpu.json'));
    expect(recordPath(root, 'machine-learning', 'gpu')).toBe(join(root, 'dist', 'images', 'machine-learning', 'gpu.json'));
  });

  it('round-trips through write and read', () => {
    const path = writeRecord(root, RECORD);
    expect(path).toBe(join(root, 'dist', 'images', 'minimal', 'cpu.json'));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(RECORD);
    expect(readRecord(root, 'minimal', 'cpu')).toEqual(RECORD);
  });

  it('leaves no temporary file behind', () => {
    writeRecord(root, RECORD);
    writeRecord(root, { ...RECORD, digest: null });
    expect(readdirSync(dirname(recordPath(root, 'minimal', 'cpu')))).toEqual(['cpu.json']);
    expect(readRecord(root, 'minimal', 'cpu').digest).toBeNull();
  });

  it('keeps the streams of a project apart', () => {
    writeRecord(root, RECORD);
    writeRecord(root, { ...RECORD, stream: 'gpu', image: 'minimal-notebook-gpu:content-x' });
    expect(readRecord(root, 'minimal', 'cpu').image).toBe(RECORD.image);
    expect(readRecord(root, 'minimal', 'gpu').image).toBe('minimal-notebook-gpu:content-x');
  });

  it('names the parent and the nx run command when the record is missing', () => {
    const error = configurationErrorOf(() => readRecord(root, 'base', 'gpu'));
    expect(error.message).toBe(
      `build record of base (gpu) ${recordPath(root, 'base', 'gpu')} is missing: run npx nx run base:build-gpu --skip-nx-cache (nx run-many and nx affected re-derive it when they build on it)`,
    );
    expect(error).toBeInstanceOf(UnreadableRecordError);
  });

  it('names the file and the fix when the record is not valid JSON', () => {
    const path = recordPath(root, 'minimal', 'cpu');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"project": "minimal", ');
    const error = configurationErrorOf(() => readRecord(root, 'minimal', 'cpu'));
    expect(error.message).toContain(`${path} is not valid JSON`);
    expect(error.message).toContain('npx nx run minimal:build-cpu --skip-nx-cache');
  });

  it('refuses a record that is JSON but not an object', () => {
    const path = recordPath(root, 'minimal', 'cpu');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'null');
    expect(configurationErrorOf(() => readRecord(root, 'minimal', 'cpu')).message).toContain(`${path} is not a JSON object`);
  });

  it('refuses a record that belongs to another project', () => {
    const path = recordPath(root, 'minimal', 'cpu');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify({ ...RECORD, project: 'base' }));
    const error = configurationErrorOf(() => readRecord(root, 'minimal', 'cpu'));
    expect(error.message).toContain(path);
    expect(error.message).toContain('belongs to another build (base, cpu)');
    expect(error.message).toContain('npx nx run minimal:build-cpu --skip-nx-cache');
  });

  it('refuses a record of the other stream', () => {
    const path = recordPath(root, 'minimal', 'gpu');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(RECORD));
    expect(() => readRecord(root, 'minimal', 'gpu')).toThrow(BuildConfigurationError);
  });

  it('refuses a record missing a required field, naming it', () => {
    const path = recordPath(root, 'minimal', 'cpu');
    mkdirSync(dirname(path), { recursive: true });
    const { contentTag: _dropped, ...incomplete } = RECORD;
    writeFileSync(path, JSON.stringify(incomplete));
    const error = configurationErrorOf(() => readRecord(root, 'minimal', 'cpu'));
    expect(error.message).toContain('missing contentTag');
  });

  it('removes a record, and removing an absent one is not an error', () => {
    writeRecord(root, RECORD);
    writeRecord(root, { ...RECORD, stream: 'gpu' });
    removeRecord(root, 'minimal', 'cpu');
    expect(existsSync(recordPath(root, 'minimal', 'cpu'))).toBe(false);
    expect(existsSync(recordPath(root, 'minimal', 'gpu'))).toBe(true);
    expect(() => removeRecord(root, 'minimal', 'cpu')).not.toThrow();
    expect(() => removeRecord(root, 'never-built', 'gpu')).not.toThrow();
  });

  it('plannedRecord is marked planned, with no digest or image id, and can be written and read', () => {
    const planned = plannedRecord({
      project: 'minimal',
      stream: 'cpu',
      image: 'minimal-notebook-cpu:content-0123456789abcdef01234567',
      contentTag: 'content-0123456789abcdef01234567',
      parent: 'base-notebook-cpu:content-fedcba9876543210fedcba98',
    });
    expect(planned).toEqual({
      project: 'minimal',
      stream: 'cpu',
      image: 'minimal-notebook-cpu:content-0123456789abcdef01234567',
      contentTag: 'content-0123456789abcdef01234567',
      parent: 'base-notebook-cpu:content-fedcba9876543210fedcba98',
      tags: ['minimal-notebook-cpu:content-0123456789abcdef01234567'],
      imageId: null,
      digest: null,
      planned: true,
      source: 'planned',
    });
    writeRecord(root, planned);
    expect(readRecord(root, 'minimal', 'cpu')).toEqual(planned);
  });
});

describe('recipeOf', () => {
  it('keeps workspace-relative paths and the build args without BASE_CONTAINER', () => {
    const recipe = recipeOf(
      { dockerfile: '/ws/images/minimal/Dockerfile', context: '/ws/images/minimal', buildArgs: { BASE_CONTAINER: 'base:content-1', PYTHON: '3.11' } },
      '/ws',
    );
    expect(recipe).toEqual({ dockerfile: 'images/minimal/Dockerfile', context: 'images/minimal', buildArgs: { PYTHON: '3.11' } });
  });

  it('keeps that a context is generated from the pins, so a rebuild generates it again', () => {
    const plan = { dockerfile: '/ws/dist/images/gpu-upstream/context/Dockerfile', context: '/ws/dist/images/gpu-upstream/context', buildArgs: {} };
    expect(recipeOf(plan, '/ws', true)).toEqual({ dockerfile: 'dist/images/gpu-upstream/context/Dockerfile', context: 'dist/images/gpu-upstream/context', buildArgs: {}, generated: true });
  });
});
