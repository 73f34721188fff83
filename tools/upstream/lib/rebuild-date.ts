import { holdingPin, type PackagePin } from './package-pins';
import type { LayerFinding, ScannedImage } from './scanned-image';

/** Severities whose fixed versions make the update job rebuild our layers. */
export const REBUILD_SEVERITIES = ['HIGH', 'CRITICAL'];
/** Our layers are rebuilt at least this often, findings or not: fixes without a CVE arrive too. */
export const REBUILD_MAX_AGE_DAYS = 30;

export interface PinToBump extends LayerFinding {
  image: string;
  pin: PackagePin;
}

export interface RebuildDecision {
  /** The rebuild date to write, or null to leave it. */
  next: string | null;
  reasons: string[];
  /** HIGH/CRITICAL findings in our layers that a rebuild can fix. */
  fixable: Array<LayerFinding & { image: string }>;
  /** Findings a rebuild cannot fix because our Dockerfile pins the vulnerable version: reported, never a trigger. */
  pinsToBump: PinToBump[];
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/**
 * Whether to move the rebuild date to `today`. It moves when a published
 * image that was built with the current date has a HIGH or CRITICAL finding
 * with a fixed version in one of our layers, not held by an exact pin, or when
 * the current date is older than `maxAgeDays`. An image built with an older
 * date is already due to be rebuilt by the current one and triggers nothing,
 * and the date never moves twice in a day: the bump rebuilds everything once.
 */
export function decideRebuild(input: { current: string; today: string; scans: ScannedImage[]; pins: PackagePin[]; maxAgeDays?: number }): RebuildDecision {
  const { current, today, scans, pins, maxAgeDays = REBUILD_MAX_AGE_DAYS } = input;
  const fixable: RebuildDecision['fixable'] = [];
  const pinsToBump: PinToBump[] = [];
  for (const scan of scans) {
    for (const finding of scan.findings) {
      if (!REBUILD_SEVERITIES.includes(finding.severity) || !finding.fixed || !scan.ownLayers.has(finding.layer)) continue;
      const pin = holdingPin(pins, finding.pkg, finding.installed, finding.fixed);
      if (pin) pinsToBump.push({ ...finding, image: scan.file, pin });
      else if (scan.rebuildDate === null || scan.rebuildDate >= current) fixable.push({ ...finding, image: scan.file });
    }
  }
  const reasons: string[] = [];
  if (fixable.length > 0) {
    const ids = [...new Set(fixable.map((finding) => finding.id))];
    reasons.push(`${ids.length} HIGH/CRITICAL finding(s) with a fixed version in our layers (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''})`);
  }
  const age = daysBetween(current, today);
  if (age > maxAgeDays) reasons.push(`the last rebuild (${current}) is ${age} days old, more than ${maxAgeDays}`);
  return { next: reasons.length > 0 && today > current ? today : null, reasons, fixable, pinsToBump };
}
