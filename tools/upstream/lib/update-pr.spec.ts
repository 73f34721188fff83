import { findings } from '../../ci/lib/trivy-report';
import { emptyPackageLists } from '@kubeflow-images/plugin-lib/inspect/packages';
import { cveChange, updatePrBody, updatePrTitle } from './update-pr';
import type { UpdateSummary } from './upstream-update';

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const summary = (over: Partial<UpdateSummary> = {}): UpdateSummary => ({
  upstream: {
    moved: true,
    old: { commit: '0dd81e2dd718', reference: 'quay.io/jupyter/datascience-notebook:0dd81e2dd718', digest: OLD },
    new: { commit: '5a9d6ed0e4b1', reference: 'quay.io/jupyter/datascience-notebook:5a9d6ed0e4b1', digest: NEW },
  },
  rebuild: { old: '2026-12-01', new: null, reasons: [], pinsToBump: [] },
  gpuJupyter: { pinned: null, newer: [], line: 'gpu-jupyter: GPU_JUPYTER_HEAD_COMMIT is v1.10 (01eff8a9a3bc), the newest release' },
  ...over,
});

const report = (vulns: Array<[string, string, string]>) =>
  JSON.stringify({ SchemaVersion: 2, Results: [{ Target: 'img (ubuntu 24.04)', Vulnerabilities: vulns.map(([id, pkg, severity]) => ({ VulnerabilityID: id, PkgName: pkg, Severity: severity, InstalledVersion: '1' })) }] });

describe('the update pull request', () => {
  it('counts CVEs the new upstream fixes and introduces, per severity', () => {
    const before = findings(report([['CVE-1', 'openssl', 'CRITICAL'], ['CVE-2', 'curl', 'HIGH'], ['CVE-3', 'zlib', 'LOW']]), 'old.json');
    const after = findings(report([['CVE-3', 'zlib', 'LOW'], ['CVE-4', 'libxml2', 'HIGH']]), 'new.json');
    const change = cveChange(before, after);
    expect(change.fixed.map((f) => f.id)).toEqual(['CVE-1', 'CVE-2']);
    expect(change.introduced.map((f) => f.id)).toEqual(['CVE-4']);
    const body = updatePrBody({ summary: summary(), packages: null, cves: change });
    expect(body).toContain('| fixed | 1 | 1 | 0 | 0 | 0 |');
    expect(body).toContain('| introduced | 0 | 1 | 0 | 0 | 0 |');
  });

  it('shows old and new commit and digest, and the package differences', () => {
    const old = { ...emptyPackageLists(), dpkg: [{ name: 'curl', version: '8.5.0-2ubuntu10.5' }, { name: 'gone', version: '1' }], pip: [{ name: 'jupyterlab', version: '4.4.0' }] };
    const now = { ...emptyPackageLists(), dpkg: [{ name: 'curl', version: '8.5.0-2ubuntu10.7' }], pip: [{ name: 'jupyterlab', version: '4.4.0' }, { name: 'new-tool', version: '2.0' }] };
    const body = updatePrBody({ summary: summary(), packages: { old, new: now }, cves: null });
    expect(body).toContain(`| old | \`0dd81e2dd718\` | \`quay.io/jupyter/datascience-notebook:0dd81e2dd718\` | \`${OLD.slice(0, 19)}…\` |`);
    expect(body).toContain(`| new | \`5a9d6ed0e4b1\``);
    expect(body).toContain('- **dpkg**: 0 added, 1 removed, 1 changed');
    expect(body).toContain('  - `curl` 8.5.0-2ubuntu10.5 → 8.5.0-2ubuntu10.7');
    expect(body).toContain('- **pip**: 1 added, 0 removed, 0 changed');
    expect(body).not.toContain('conda');
    expect(updatePrTitle(summary())).toBe('Upstream update: docker-stacks 0dd81e2dd718 → 5a9d6ed0e4b1');
  });

  it('names a rebuild of our layers and the pins a rebuild cannot fix', () => {
    const pin = { name: 'kubernetes', version: '30.1.0', file: 'images/base/Dockerfile' };
    const held = { id: 'CVE-2026-1003', severity: 'CRITICAL', pkg: 'kubernetes', installed: '30.1.0', fixed: '31.0.0', layer: 'sha256:3', image: 'base.json', pin };
    const rebuilt = summary({
      upstream: { ...summary().upstream, moved: false, new: summary().upstream.old },
      rebuild: { old: '2026-12-01', new: '2026-12-04', reasons: ['1 HIGH/CRITICAL finding(s)'], pinsToBump: [held, { ...held, image: 'minimal.json' }] },
    });
    const body = updatePrBody({ summary: rebuilt, packages: null, cves: null });
    expect(body).toContain('IMAGE_REBUILD_DATE 2026-12-01 → 2026-12-04: 1 HIGH/CRITICAL finding(s). Every image of ours is rebuilt once.');
    expect(body.match(/\| kubernetes=30\.1\.0 \| images\/base\/Dockerfile \| CVE-2026-1003 \(CRITICAL\) \| 30\.1\.0 \| 31\.0\.0 \|/g)).toHaveLength(1);
    expect(body).not.toContain('### Packages');
    expect(updatePrTitle(rebuilt)).toBe('Upstream update: rebuild our layers (2026-12-04)');
  });
});
