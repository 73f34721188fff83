import { countBySeverity, findings, scanSummary } from './trivy-report';

const report = JSON.stringify({
  SchemaVersion: 2,
  Results: [
    {
      Target: 'img (ubuntu 24.04)',
      Vulnerabilities: [
        { VulnerabilityID: 'CVE-2026-1', Severity: 'CRITICAL', PkgName: 'openssl', InstalledVersion: '3.0.1', FixedVersion: '3.0.2' },
        { VulnerabilityID: 'CVE-2026-2', Severity: 'HIGH', PkgName: 'curl', InstalledVersion: '8' },
      ],
    },
    { Target: 'python-pkg', Vulnerabilities: null },
    { Target: 'node-pkg', Vulnerabilities: [{ VulnerabilityID: 'GHSA-x', Severity: 'WEIRD', PkgName: 'y' }] },
  ],
});

describe('trivy report', () => {
  it('reads every finding with its severity, unknown severities as UNKNOWN', () => {
    const list = findings(report, 'trivy.json');
    expect(list.map((f) => `${f.id}:${f.severity}`)).toEqual(['CVE-2026-1:CRITICAL', 'CVE-2026-2:HIGH', 'GHSA-x:UNKNOWN']);
    expect(countBySeverity(list)).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 0, UNKNOWN: 1 });
  });

  it('a clean image has no finding', () => {
    expect(findings(JSON.stringify({ SchemaVersion: 2 }), 'x')).toEqual([]);
  });

  it('summarises counts and lists the CRITICAL findings only', () => {
    const text = scanSummary('a:build-cpu', 'r/a-cpu@sha256:1', findings(report, 'trivy.json'));
    expect(text).toMatch(/\| 1 \| 1 \| 0 \| 0 \| 1 \|/);
    expect(text).toMatch(/\| CVE-2026-1 \| openssl \| 3\.0\.1 \| 3\.0\.2 \|/);
    expect(text).not.toMatch(/CVE-2026-2 \|/);
  });

  it('refuses what is not a schema 2 report, naming the file', () => {
    expect(() => findings('nope', 'trivy.json')).toThrow(/trivy\.json is not a trivy JSON report/);
    expect(() => findings('{"SchemaVersion":1}', 'trivy.json')).toThrow(/schema 1 is not 2/);
  });
});
