import { configurationErrorOf } from '../testing/configuration-error';
import { inheritedLayerCount } from './engine-image';
import type { ArchiveImage } from './image-archive';
import { emptyPackageLists } from './packages';
import { assembleReport, formatLayerTable, gateFailure, MAX_WASTE_ENTRIES } from './report';

const MIB = 1024 * 1024;
const empty = { files: [], deleted: [], opaqueDirectories: [] };
const ARCHIVE: ArchiveImage = {
  imageId: 'sha256:id',
  config: {},
  layers: [
    { diffId: 'sha256:parent', sizeBytes: 2 * MIB, files: empty },
    { diffId: 'sha256:write', sizeBytes: 10 * MIB, files: empty },
    { diffId: 'sha256:chmod', sizeBytes: 25 * MIB, files: empty },
  ],
};
const ORIGINS = [
  { createdBy: 'COPY busybox', dockerfileLine: null, instruction: null },
  { createdBy: '/bin/sh -c write', dockerfileLine: 4, instruction: 'RUN write' },
  { createdBy: '/bin/sh -c chmod', dockerfileLine: 5, instruction: 'RUN chmod' },
];

function report(waste: Parameters<typeof assembleReport>[0]['waste']) {
  return assembleReport({ project: 'minimal', stream: 'cpu', image: 'minimal-notebook-cpu:content-1', digest: null, archive: ARCHIVE, firstOwnLayer: 1, origins: ORIGINS, waste, packages: emptyPackageLists() });
}

const CHMOD_WASTE = [
  { path: '/data/big', bytes: 20 * MIB, layer: 2, earlierLayer: 1, kind: 'permissions' as const },
  { path: '/data/small', bytes: 5 * MIB, layer: 2, earlierLayer: 1, kind: 'permissions' as const },
];

describe('assembleReport', () => {
  it('marks inherited layers, maps own ones to lines, and attributes waste to the layer and line', () => {
    const result = report(CHMOD_WASTE);
    expect(result.sizeBytes).toBe(37 * MIB);
    expect(result.layers.map(({ inherited, dockerfileLine, wastedBytes }) => [inherited, dockerfileLine, wastedBytes])).toEqual([
      [true, null, 0],
      [false, 4, 0],
      [false, 5, 25 * MIB],
    ]);
    expect(result.wastedBytes).toBe(25 * MIB);
    expect(result.wasted[0]).toEqual({
      path: '/data/big',
      bytes: 20 * MIB,
      layer: 'sha256:chmod',
      dockerfileLine: 5,
      reason: 'permissions changed in a later layer than the files: run fix-permissions in the same RUN',
    });
  });

  it('gives a deletion of an inherited file its own reason', () => {
    const result = report([{ path: '/bin/busybox', bytes: 1, layer: 1, earlierLayer: 0, kind: 'deleted' }]);
    expect(result.wasted[0].reason).toBe('deleted in a later layer: the parent image still ships its bytes');
  });

  it('keeps the largest entries when there are very many, counting all', () => {
    const many = Array.from({ length: MAX_WASTE_ENTRIES + 10 }, (_, index) => ({ path: `/f${index}`, bytes: index + 1, layer: 2, earlierLayer: 1, kind: 'permissions' as const }));
    const result = report(many);
    expect(result.wasted).toHaveLength(MAX_WASTE_ENTRIES);
    expect(result.wastedFiles).toBe(MAX_WASTE_ENTRIES + 10);
    expect(result.wasted[0].bytes).toBe(MAX_WASTE_ENTRIES + 10);
    expect(result.wastedBytes).toBe(((MAX_WASTE_ENTRIES + 10) * (MAX_WASTE_ENTRIES + 11)) / 2);
  });
});

describe('gateFailure', () => {
  it('passes at or under the limit', () => {
    expect(gateFailure(report(CHMOD_WASTE), 25 * MIB, 'images/minimal/Dockerfile')).toBeNull();
    expect(gateFailure(report([]), 0, 'images/minimal/Dockerfile')).toBeNull();
  });

  it('names the line, the reason and the largest files over the limit', () => {
    expect(gateFailure(report(CHMOD_WASTE), 20 * MIB, 'images/minimal/Dockerfile')).toBe(
      'own layers waste 25.0 MiB, more than the limit of 20.0 MiB: images/minimal/Dockerfile:5 wastes 25.0 MiB: permissions changed in a later layer than the files: run fix-permissions in the same RUN; largest: /data/big (20.0 MiB), /data/small (5.0 MiB)',
    );
  });
});

describe('formatLayerTable', () => {
  it('has a row per layer with line, size and waste', () => {
    const table = formatLayerTable(report(CHMOD_WASTE), 'Dockerfile').split('\n');
    expect(table[0]).toMatch(/^layer\s+line\s+size\s+waste\s+created by$/);
    expect(table[1]).toMatch(/^1\s+inherited\s+2\.0 MiB\s+COPY busybox$/);
    expect(table[3]).toMatch(/^3\s+Dockerfile:5\s+25\.0 MiB\s+25\.0 MiB\s+\/bin\/sh -c chmod$/);
    expect(table[4]).toBe('minimal-notebook-cpu:content-1: 37.0 MiB, own layers waste 25.0 MiB in 2 file(s)');
  });
});

describe('inheritedLayerCount', () => {
  it('counts the parent\'s layers when the image starts with them', () => {
    expect(inheritedLayerCount(['a', 'b', 'c'], ['a', 'b'], 'img', 'parent')).toBe(2);
  });
  it('refuses an image that was not built on the recorded parent', () => {
    expect(configurationErrorOf(() => inheritedLayerCount(['a', 'x', 'c'], ['a', 'b'], 'img', 'parent')).message).toMatch(/^img does not start with the layers of its parent parent/);
    expect(() => inheritedLayerCount(['a'], ['a', 'b'], 'img', 'parent')).toThrow();
  });
});
