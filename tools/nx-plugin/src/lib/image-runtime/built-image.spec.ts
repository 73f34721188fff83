import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageGraph } from '../hierarchy/image-graph';
import { plannedRecord, writeRecord } from '../records/build-record';
import { configurationErrorOf } from '../testing/configuration-error';
import { builtImage } from './built-image';

const GRAPH: ImageGraph = {
  geomatics: { name: 'geomatics', root: 'images/geomatics', implicitDependencies: ['minimal'], targets: ['build-cpu', 'test-cpu', 'test-gpu'], tags: [] },
};

describe('builtImage', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'kf-built-image-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("is the image the project's build record names", () => {
    writeRecord(root, { ...plannedRecord({ project: 'geomatics', stream: 'cpu', image: 'geomatics-notebook-cpu:content-1', contentTag: 'content-1', parent: null }), planned: false, source: 'built' });
    expect(builtImage(root, GRAPH, 'geomatics', 'cpu', 'test-cpu').image).toBe('geomatics-notebook-cpu:content-1');
  });

  it('exists only for a stream the project builds', () => {
    expect(configurationErrorOf(() => builtImage(root, GRAPH, 'geomatics', 'gpu', 'test-gpu')).message).toBe(
      'images/geomatics/project.json: geomatics has test-gpu but no build-gpu target: an image is only tested and served for the streams it builds; remove test-gpu or add build-gpu',
    );
  });

  it('refuses a planned record (nothing was built)', () => {
    writeRecord(root, plannedRecord({ project: 'geomatics', stream: 'cpu', image: 'geomatics-notebook-cpu:content-1', contentTag: 'content-1', parent: null }));
    expect(configurationErrorOf(() => builtImage(root, GRAPH, 'geomatics', 'cpu', 'serve-cpu')).message).toMatch(
      /is a plan, nothing was built: run nx run geomatics:build-cpu without --configuration=plan/,
    );
  });

  it('says how to build when there is no record', () => {
    expect(configurationErrorOf(() => builtImage(root, GRAPH, 'geomatics', 'cpu', 'test-cpu')).message).toMatch(/no build record for geomatics \(cpu\)/);
  });
});
