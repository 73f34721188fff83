import { emptyPackageLists } from '@kubeflow-images/plugin-lib/inspect/packages';
import type { InspectReport } from '@kubeflow-images/plugin-lib/inspect/report';
import { inspectSummaryMarkdown } from './inspect-summary';

const MIB = 1024 * 1024;

function report(project: string, sizeBytes: number, wastedBytes: number, pip: Array<[string, string]>): InspectReport {
  return {
    project,
    stream: 'cpu',
    image: `${project}-notebook-cpu:content-1`,
    digest: null,
    imageId: 'sha256:x',
    sizeBytes,
    layers: [],
    wastedBytes,
    wasted: wastedBytes ? [{ path: '/opt/conda/lib/big.so', bytes: wastedBytes, layer: 'sha256:l', dockerfileLine: 12, reason: 'permissions changed in a later layer than the files: run fix-permissions in the same RUN' }] : [],
    wastedFiles: wastedBytes ? 1 : 0,
    packages: { ...emptyPackageLists(), pip: pip.map(([name, version]) => ({ name, version })) },
  };
}

describe('inspectSummaryMarkdown', () => {
  it('tabulates size, change against latest and waste, then package changes per image', () => {
    const markdown = inspectSummaryMarkdown([
      {
        current: report('minimal', 130 * MIB, 30 * MIB, [['numpy', '2.1.0'], ['pandas', '2.2.0']]),
        latest: { image: 'minimal-notebook-cpu:latest', sizeBytes: 100 * MIB, packages: { ...emptyPackageLists(), pip: [{ name: 'numpy', version: '2.0.0' }, { name: 'scipy', version: '1.0' }] } },
      },
      { current: report('base', 50 * MIB, 0, []), latest: null },
    ]);
    expect(markdown).toContain('| base | cpu | 50.0 MiB | new | 0 B |');
    expect(markdown).toContain('| minimal | cpu | 130.0 MiB | +30.0 MiB | 30.0 MiB |');
    expect(markdown.indexOf('| base |')).toBeLessThan(markdown.indexOf('| minimal |'));
    expect(markdown).toContain('- **pip**: 1 added, 1 removed, 1 changed');
    expect(markdown).toContain('  - added `pandas` 2.2.0');
    expect(markdown).toContain('  - removed `scipy` 1.0');
    expect(markdown).toContain('  - `numpy` 2.0.0 → 2.1.0');
    expect(markdown).toContain('Largest waste: `/opt/conda/lib/big.so` 30.0 MiB (line 12: permissions changed');
    expect(markdown).toContain('Nothing published as latest yet');
  });

  it('says so when no image was inspected', () => {
    expect(inspectSummaryMarkdown([])).toMatch(/affects none/);
  });
});
