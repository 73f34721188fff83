import { compareStreams, formatParityTable, parityFailure, sameDockerStacksCommit, ubuntuWarning, type StreamRoots } from './parity';

const SHA = '0dd81e2dd7186f2a9b0e1c3d4e5f60718293a4b5';
const OTHER = '3f40fd0303031111111111111111111111111111';

function roots(cpuCommit = SHA.slice(0, 12), cpuUbuntu: string | null = '24.04', gpuUbuntu: string | null = '24.04'): StreamRoots {
  return {
    cpu: {
      image: `quay.io/jupyter/datascience-notebook:${cpuCommit}`,
      commit: cpuCommit,
      commitSource: 'build_settings.env',
      ubuntu: cpuUbuntu ? { release: cpuUbuntu, source: 'image label org.opencontainers.image.version' } : { release: null, reason: 'registry quay.io not reachable: host not found' },
    },
    gpu: {
      baseImage: `nvidia/cuda:12.9.1-cudnn-runtime-ubuntu${gpuUbuntu ?? '24.04'}`,
      baseImageAt: 'dist/images/gpu-upstream/context/Dockerfile:3',
      commit: SHA,
      commitSetting: SHA.slice(0, 12),
      gpuJupyterCommit: '01eff8a9a3bc05191b07077083a857f78edece92',
      recordFile: 'dist/images/gpu-upstream/generation.json',
      ubuntu: gpuUbuntu ? { release: gpuUbuntu, source: 'FROM at dist/images/gpu-upstream/context/Dockerfile:3' } : { release: null, reason: 'not Ubuntu' },
    },
  };
}

describe('sameDockerStacksCommit', () => {
  const gpu = { commit: SHA, commitSetting: SHA.slice(0, 12) };
  it('accepts the same setting, the full sha and any abbreviation of it', () => {
    expect(sameDockerStacksCommit(SHA.slice(0, 12), gpu)).toBe(true);
    expect(sameDockerStacksCommit(SHA, gpu)).toBe(true);
    expect(sameDockerStacksCommit(SHA.slice(0, 7).toUpperCase(), gpu)).toBe(true);
    // A branch or tag name the generation resolved is the same when it is the same setting.
    expect(sameDockerStacksCommit('release-2025', { commit: SHA, commitSetting: 'release-2025' })).toBe(true);
  });
  it('rejects another commit, too short an abbreviation and another name', () => {
    expect(sameDockerStacksCommit(OTHER.slice(0, 12), gpu)).toBe(false);
    expect(sameDockerStacksCommit(SHA.slice(0, 4), gpu)).toBe(false);
    expect(sameDockerStacksCommit('main', gpu)).toBe(false);
  });
});

describe('compareStreams and its report', () => {
  it('passes and prints a table when the commits agree', () => {
    const report = compareStreams(roots());
    expect(report).toMatchObject({ dockerStacks: 'same', ubuntu: 'same' });
    expect(parityFailure(report)).toBeNull();
    expect(ubuntuWarning(report)).toBeNull();
    const table = formatParityTable(report);
    expect(table).toHaveLength(4);
    expect(table[0]).toMatch(/^\s+cpu\s+gpu$/);
    expect(table[1]).toMatch(/^root image\s+quay\.io\/jupyter\/datascience-notebook:0dd81e2dd718\s+gpu-upstream: nvidia\/cuda:12\.9\.1-cudnn-runtime-ubuntu24\.04 \+ docker-stacks by gpu-jupyter 01eff8a9a3bc$/);
    expect(table[2]).toMatch(/^docker-stacks commit\s+0dd81e2dd718 \(UPSTREAM_CONTAINER_CPU_HEAD_COMMIT, build_settings\.env\)\s+0dd81e2dd718 \(dist\/images\/gpu-upstream\/generation\.json\)\s+same$/);
    expect(table[3]).toMatch(/^Ubuntu release\s+24\.04 \(image label org\.opencontainers\.image\.version\)\s+24\.04 \(FROM at .*Dockerfile:3\)\s+same$/);
    // Columns line up.
    const gpuColumn = table[0].indexOf('gpu');
    expect(table.slice(1).every((row) => row.indexOf('gpu-upstream:') === gpuColumn || row.slice(gpuColumn - 2, gpuColumn) === '  ')).toBe(true);
  });

  it('fails naming both commits and both fixes when they differ', () => {
    const drifted = roots(OTHER.slice(0, 12));
    drifted.cpu.commitSource = 'the environment';
    const report = compareStreams(drifted);
    expect(report.dockerStacks).toBe('DIFFERENT');
    expect(formatParityTable(report)[2]).toMatch(/DIFFERENT$/);
    expect(parityFailure(report)).toBe(
      `the cpu and gpu streams are built from different docker-stacks commits: cpu ${OTHER.slice(0, 12)} (UPSTREAM_CONTAINER_CPU_HEAD_COMMIT in the environment), ` +
        `gpu ${SHA} (dist/images/gpu-upstream/generation.json: generated with UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${SHA.slice(0, 12)}): ` +
        'regenerate the gpu upstream from the cpu pin (nx run gpu-upstream:generate, without --exclude-task-dependencies), ' +
        `or align UPSTREAM_CONTAINER_CPU_HEAD_COMMIT with ${SHA.slice(0, 12)} if the gpu commit is the intended one`,
    );
  });

  it('reports an unknown Ubuntu release with its reason and does not fail on it', () => {
    const report = compareStreams(roots(undefined, null));
    expect(report.ubuntu).toBe('unknown');
    expect(parityFailure(report)).toBeNull();
    expect(formatParityTable(report)[3]).toMatch(/^Ubuntu release\s+unknown \(registry quay\.io not reachable: host not found\)\s+24\.04 .*unknown$/);
  });

  it('warns, without failing, when the Ubuntu releases differ', () => {
    const report = compareStreams(roots(undefined, '22.04', '24.04'));
    expect(report.ubuntu).toBe('DIFFERENT');
    expect(parityFailure(report)).toBeNull();
    expect(ubuntuWarning(report)).toMatch(/^the roots' Ubuntu releases differ \(cpu 22\.04, gpu 24\.04\)/);
  });
});
