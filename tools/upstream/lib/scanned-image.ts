import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';

/** The label every image of ours sets, before its first install step, to the rebuild date it was built with. */
export const REBUILD_DATE_LABEL = 'io.kubeflow-images.rebuild-date';

export interface LayerFinding {
  id: string;
  severity: string;
  pkg: string;
  installed: string;
  /** Versions that fix it, as trivy lists them ("1.2.3, 1.3.1"); empty when there is no fix. */
  fixed: string;
  /** The diff id of the layer that installed the package. */
  layer: string;
}

/** What the nightly scan says about one published image. */
export interface ScannedImage {
  file: string;
  /** The rebuild date it was built with (its label), or null for an image built before the label existed. */
  rebuildDate: string | null;
  /** Diff ids of the layers our Dockerfiles made: those from the first rebuild-date label on. */
  ownLayers: Set<string>;
  findings: LayerFinding[];
}

interface TrivyImageReport {
  SchemaVersion?: number;
  Metadata?: {
    ImageConfig?: {
      config?: { Labels?: Record<string, string> | null } | null;
      history?: Array<{ created_by?: string; empty_layer?: boolean }> | null;
      rootfs?: { diff_ids?: string[] | null } | null;
    } | null;
  } | null;
  Results?: Array<{
    Vulnerabilities?: Array<{
      VulnerabilityID?: string;
      Severity?: string;
      PkgName?: string;
      InstalledVersion?: string;
      FixedVersion?: string;
      Layer?: { DiffID?: string } | null;
    }> | null;
  }> | null;
}

/**
 * Reads a trivy image report (JSON, schema 2): its findings with the layer
 * each is in, and which layers are ours. The image's history says where our
 * layers start: at the first step that sets the rebuild-date label, which
 * every Dockerfile of ours runs before it installs anything.
 */
export function readScannedImage(text: string, file: string): ScannedImage {
  let report: TrivyImageReport;
  try {
    report = JSON.parse(text) as TrivyImageReport;
  } catch {
    throw new BuildConfigurationError(`${file} is not a trivy JSON report: run trivy image --format json --output ${file}`);
  }
  if (report.SchemaVersion !== 2) throw new BuildConfigurationError(`${file}: trivy report schema ${report.SchemaVersion ?? '(none)'} is not 2`);
  const config = report.Metadata?.ImageConfig;
  if (!config?.rootfs?.diff_ids || !config.history) {
    throw new BuildConfigurationError(`${file} has no Metadata.ImageConfig (history and rootfs): scan an image (trivy image), not a file system`);
  }
  const diffIds = config.rootfs.diff_ids;
  const ownLayers = new Set<string>();
  let layer = 0;
  let ours = false;
  for (const step of config.history) {
    if ((step.created_by ?? '').includes(REBUILD_DATE_LABEL)) ours = true;
    if (step.empty_layer) continue;
    if (ours && diffIds[layer]) ownLayers.add(diffIds[layer]);
    layer++;
  }
  const findings = (report.Results ?? []).flatMap((result) =>
    (result.Vulnerabilities ?? []).map((v) => ({
      id: v.VulnerabilityID ?? '?',
      severity: v.Severity ?? 'UNKNOWN',
      pkg: v.PkgName ?? '?',
      installed: v.InstalledVersion ?? '',
      fixed: v.FixedVersion ?? '',
      layer: v.Layer?.DiffID ?? '',
    })),
  );
  return { file, rebuildDate: config.config?.Labels?.[REBUILD_DATE_LABEL] || null, ownLayers, findings };
}
