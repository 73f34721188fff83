import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationErrorOf } from '@kubeflow-images/plugin-lib/testing/configuration-error';
import { holdingPin, packagePins } from './package-pins';
import { decideRebuild } from './rebuild-date';
import { readScannedImage } from './scanned-image';

const RECORDED = 'trivy-minimal-notebook-cpu.json';
const recordedText = readFileSync(join(__dirname, '..', 'testing', RECORDED), 'utf8');
const recorded = () => readScannedImage(recordedText, RECORDED);
/** The recorded report with its findings filtered. */
const recordedWith = (keep: (id: string) => boolean) => ({ ...recorded(), findings: recorded().findings.filter((f) => keep(f.id)) });

const DOCKERFILE = [
  'ARG BASE_CONTAINER',
  'FROM $BASE_CONTAINER',
  'ARG KUBERNETES_CLIENT_VERSION=30.1.0',
  'ARG UNIXODBC_VERSION=2.3',
  'RUN pip install --no-cache-dir "kubernetes==${KUBERNETES_CLIENT_VERSION}" "minio==7.2.15" && \\',
  '    mamba install --yes "unixodbc=${UNIXODBC_VERSION}" \'gdal=3.12\' && \\',
  '    apt-get install --yes --no-install-recommends curl tini=0.19.0-1 && \\',
  '    fix-permissions "${CONDA_DIR}"',
  '',
].join('\n');
const pins = packagePins({ 'images/base/Dockerfile': DOCKERFILE });

describe('readScannedImage', () => {
  it("reads the image's rebuild date and takes the layers from its first rebuild-date label on as ours", () => {
    const scan = recorded();
    expect(scan.rebuildDate).toBe('2026-12-01');
    expect([...scan.ownLayers]).toEqual([`sha256:${'3'.repeat(64)}`, `sha256:${'4'.repeat(64)}`]);
    expect(scan.findings.map((f) => [f.id, f.layer.slice(7, 8)])).toEqual([
      ['CVE-2026-1001', '1'],
      ['CVE-2026-1002', '3'],
      ['CVE-2026-1004', '4'],
      ['CVE-2026-1005', '4'],
      ['CVE-2026-1003', '3'],
    ]);
  });

  it('refuses a report that is not an image scan, naming the file', () => {
    expect(configurationErrorOf(() => readScannedImage('{"SchemaVersion":2,"Results":[]}', 'fs.json')).message).toBe(
      'fs.json has no Metadata.ImageConfig (history and rootfs): scan an image (trivy image), not a file system',
    );
    expect(configurationErrorOf(() => readScannedImage('{', 'x.json')).message).toMatch(/^x\.json is not a trivy JSON report/);
  });
});

describe('packagePins', () => {
  it('reads pip ==, conda and apt = pins, with ARG defaults expanded', () => {
    expect(pins.map((p) => `${p.name}=${p.version}`)).toEqual(['kubernetes=30.1.0', 'minio=7.2.15', 'unixodbc=2.3', 'gdal=3.12', 'tini=0.19.0-1']);
  });

  it('holds a package when the pin admits the installed version and none of the fixed ones', () => {
    expect(holdingPin(pins, 'kubernetes', '30.1.0', '31.0.0')?.version).toBe('30.1.0');
    expect(holdingPin(pins, 'unixodbc', '2.3.12', '2.3.13')).toBeNull(); // =2.3 admits the fix: a rebuild picks it up
    expect(holdingPin(pins, 'gdal', '3.12.0', '3.11.5, 3.13.1')).not.toBeNull();
    expect(holdingPin(pins, 'curl', '8.5.0', '8.5.1')).toBeNull();
  });
});

describe('decideRebuild', () => {
  it('bumps to today for a HIGH/CRITICAL finding with a fix in our layers, and reports the pinned one as a pin to bump', () => {
    const decision = decideRebuild({ current: '2026-12-01', today: '2026-12-04', scans: [recorded()], pins });
    expect(decision.next).toBe('2026-12-04');
    expect(decision.fixable.map((f) => f.id)).toEqual(['CVE-2026-1002']); // not the upstream layer's, the MEDIUM, nor the one without a fix
    expect(decision.reasons).toEqual(['1 HIGH/CRITICAL finding(s) with a fixed version in our layers (CVE-2026-1002)']);
    expect(decision.pinsToBump.map((f) => [f.id, f.pin.name, f.pin.version, f.pin.file])).toEqual([['CVE-2026-1003', 'kubernetes', '30.1.0', 'images/base/Dockerfile']]);
  });

  it('does not rebuild for a CVE held by an exact pin, night after night', () => {
    const scan = recordedWith((id) => id !== 'CVE-2026-1002');
    for (const today of ['2026-12-04', '2026-12-05', '2026-12-06']) {
      const decision = decideRebuild({ current: '2026-12-01', today, scans: [scan], pins });
      expect(decision).toMatchObject({ next: null, reasons: [] });
      expect(decision.pinsToBump.map((f) => f.id)).toEqual(['CVE-2026-1003']);
    }
  });

  it('moves once: on the day of the bump the same scan changes nothing', () => {
    expect(decideRebuild({ current: '2026-12-04', today: '2026-12-04', scans: [recorded()], pins }).next).toBeNull();
  });

  it('leaves an image built with an older date to the rebuild already under way', () => {
    expect(decideRebuild({ current: '2026-12-03', today: '2026-12-04', scans: [recorded()], pins }).next).toBeNull();
  });

  it('rebuilds when the last rebuild is older than the set age, findings or not', () => {
    const clean = recordedWith(() => false);
    expect(decideRebuild({ current: '2026-12-01', today: '2026-12-31', scans: [clean], pins }).next).toBeNull();
    expect(decideRebuild({ current: '2026-12-01', today: '2027-01-01', scans: [clean], pins })).toMatchObject({
      next: '2027-01-01',
      reasons: ['the last rebuild (2026-12-01) is 31 days old, more than 30'],
    });
    expect(decideRebuild({ current: '2026-12-01', today: '2026-12-08', scans: [], pins, maxAgeDays: 6 }).next).toBe('2026-12-08');
  });
});
