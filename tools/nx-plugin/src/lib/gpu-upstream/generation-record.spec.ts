import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configurationErrorOf } from '../testing/configuration-error';
import { generationRecordPath, readGenerationRecord, writeGenerationRecord, type GenerationRecord } from './generation-record';

describe('generation record', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kf-generation-record-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const record: GenerationRecord = {
    version: 1,
    context: 'dist/images/gpu-upstream/context',
    dockerfileSha256: 'a'.repeat(64),
    gpuJupyter: { repository: 'https://github.com/iot-salzburg/gpu-jupyter.git', commitSetting: '01eff8a9a3bc', commit: '01eff8a9a3bc'.padEnd(40, '0') },
    dockerStacks: { repository: 'https://github.com/jupyter/docker-stacks.git', commitSetting: '0dd81e2dd718', commit: '0dd81e2dd718'.padEnd(40, '0') },
    layout: 'custom/',
  };

  it('lives beside the context, not inside it (a file there would change the content tag)', () => {
    expect(generationRecordPath('/w/dist/images/gpu-upstream/context')).toBe('/w/dist/images/gpu-upstream/generation.json');
  });

  it('round-trips and leaves no partial file', () => {
    const path = join(dir, 'generation.json');
    writeGenerationRecord(path, record);
    expect(readGenerationRecord(path)).toEqual(record);
    expect(readdirSync(dir)).toEqual(['generation.json']);
  });

  it('names the file and the fix when it is missing, unreadable or of another shape', () => {
    const path = join(dir, 'generation.json');
    expect(configurationErrorOf(() => readGenerationRecord(path, 'dist/images/gpu-upstream/generation.json')).message).toBe(
      "dist/images/gpu-upstream/generation.json not found: the gpu stream's generation is not recorded: run `nx run gpu-upstream:generate` (parity depends on it; it was skipped or its output removed)",
    );
    writeFileSync(path, '{ not json');
    expect(configurationErrorOf(() => readGenerationRecord(path, 'g.json')).message).toMatch(/^g\.json is not valid JSON \(.*\): run `nx run gpu-upstream:generate`/);
    writeFileSync(path, JSON.stringify({ ...record, dockerStacks: { repository: 'x' } }));
    expect(configurationErrorOf(() => readGenerationRecord(path, 'g.json')).message).toMatch(/^g\.json is not a generation record of this version: run/);
  });
});
