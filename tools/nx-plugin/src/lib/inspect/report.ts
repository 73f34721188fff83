import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import type { Stream } from '../hierarchy/image-graph';
import type { ArchiveImage } from './image-archive';
import type { LayerOrigin } from './dockerfile-layers';
import type { PackageLists } from './packages';
import type { LayerWaste, WasteKind } from './waste';

export interface ReportLayer {
  digest: string;
  sizeBytes: number;
  createdBy: string | null;
  dockerfileLine: number | null;
  inherited: boolean;
  /** Bytes of earlier layers this layer hides (always 0 for inherited layers). */
  wastedBytes: number;
}

export interface ReportWaste {
  path: string;
  bytes: number;
  /** Digest of the layer that stores the file again or deletes it. */
  layer: string;
  dockerfileLine: number | null;
  reason: string;
}

/** dist/images/<project>/<stream>.inspect.json */
export interface InspectReport {
  project: string;
  stream: Stream;
  image: string;
  digest: string | null;
  imageId: string;
  /** Sum of the uncompressed layers. */
  sizeBytes: number;
  layers: ReportLayer[];
  /** Waste of this image's own layers (inherited layers are the parent's business). */
  wastedBytes: number;
  /** The largest wasted files, largest first (at most MAX_WASTE_ENTRIES; wastedFiles counts all). */
  wasted: ReportWaste[];
  wastedFiles: number;
  packages: PackageLists;
}

export const MAX_WASTE_ENTRIES = 500;

/** What each kind of waste means and how to avoid it: the report's `reason`. */
export function wasteReason(kind: WasteKind, earlierIsInherited: boolean): string {
  switch (kind) {
    case 'permissions':
      return 'permissions changed in a later layer than the files: run fix-permissions in the same RUN';
    case 'unchanged-copy':
      return 'stored again unchanged in a later layer: write or copy the file once';
    case 'overwritten':
      return 'overwritten in a later layer: write the final content in the RUN that creates the file';
    case 'deleted':
      return earlierIsInherited
        ? 'deleted in a later layer: the parent image still ships its bytes'
        : 'deleted in a later layer than the one that added it: remove it in the same RUN that creates it';
  }
}

export interface ReportInput {
  project: string;
  stream: Stream;
  image: string;
  digest: string | null;
  archive: ArchiveImage;
  firstOwnLayer: number;
  origins: LayerOrigin[];
  waste: LayerWaste[];
  packages: PackageLists;
}

export function assembleReport(input: ReportInput): InspectReport {
  const { archive, origins, firstOwnLayer } = input;
  const sorted = [...input.waste].sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  return {
    project: input.project,
    stream: input.stream,
    image: input.image,
    digest: input.digest,
    imageId: archive.imageId,
    sizeBytes: archive.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0),
    layers: archive.layers.map((layer, index) => ({
      digest: layer.diffId,
      sizeBytes: layer.sizeBytes,
      createdBy: origins[index]?.createdBy ?? null,
      dockerfileLine: origins[index]?.dockerfileLine ?? null,
      inherited: index < firstOwnLayer,
      wastedBytes: sorted.filter((entry) => entry.layer === index).reduce((sum, entry) => sum + entry.bytes, 0),
    })),
    wastedBytes: sorted.reduce((sum, entry) => sum + entry.bytes, 0),
    wasted: sorted.slice(0, MAX_WASTE_ENTRIES).map((entry) => ({
      path: entry.path,
      bytes: entry.bytes,
      layer: archive.layers[entry.layer].diffId,
      dockerfileLine: origins[entry.layer]?.dockerfileLine ?? null,
      reason: wasteReason(entry.kind, entry.earlierLayer < firstOwnLayer),
    })),
    wastedFiles: sorted.length,
    packages: input.packages,
  };
}

const MIB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(2)} GiB`;
  if (abs >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** The short table printed on stdout: one row per layer, own layers with their Dockerfile line. */
export function formatLayerTable(report: InspectReport, dockerfile: string): string {
  const rows = report.layers.map((layer, index) => [
    String(index + 1),
    layer.inherited ? 'inherited' : layer.dockerfileLine ? `${dockerfile}:${layer.dockerfileLine}` : '?',
    formatBytes(layer.sizeBytes),
    layer.inherited ? '' : formatBytes(layer.wastedBytes),
    (layer.createdBy ?? '').replace(/\s+/g, ' ').slice(0, 60),
  ]);
  const header = ['layer', 'line', 'size', 'waste', 'created by'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 2 || column === 3 ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [
    line(header),
    ...rows.map(line),
    `${report.image}: ${formatBytes(report.sizeBytes)}, own layers waste ${formatBytes(report.wastedBytes)} in ${report.wastedFiles} file(s)`,
  ].join('\n');
}

/**
 * null when the own layers waste no more than the limit; otherwise the one
 * message that names the worst Dockerfile line, its reason and the largest files.
 */
export function gateFailure(report: InspectReport, limitBytes: number, dockerfile: string): string | null {
  if (report.wastedBytes <= limitBytes) return null;
  const groups = new Map<string, { line: number | null; reason: string; bytes: number; files: ReportWaste[] }>();
  for (const entry of report.wasted) {
    const key = `${entry.dockerfileLine}|${entry.reason}`;
    const group = groups.get(key) ?? { line: entry.dockerfileLine, reason: entry.reason, bytes: 0, files: [] };
    group.bytes += entry.bytes;
    group.files.push(entry);
    groups.set(key, group);
  }
  const worst = [...groups.values()].sort((a, b) => b.bytes - a.bytes)[0];
  const files = worst.files
    .slice(0, 3)
    .map((entry) => `${entry.path} (${formatBytes(entry.bytes)})`)
    .join(', ');
  const where = worst.line ? `${dockerfile}:${worst.line}` : `${dockerfile} (line unknown)`;
  return `own layers waste ${formatBytes(report.wastedBytes)}, more than the limit of ${formatBytes(limitBytes)}: ${where} wastes ${formatBytes(worst.bytes)}: ${worst.reason}; largest: ${files}`;
}

export function inspectReportPath(workspaceRoot: string, project: string, stream: Stream): string {
  return join(workspaceRoot, 'dist', 'images', project, `${stream}.inspect.json`);
}

/** Through a temporary file and a rename: a report is complete or absent. */
export function writeInspectReport(path: string, report: InspectReport): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(temporary, path);
}

export function readInspectReport(path: string): InspectReport {
  if (!existsSync(path)) throw new BuildConfigurationError(`no inspect report at ${path}: run nx run <project>:inspect-<stream> first`);
  try {
    const report = JSON.parse(readFileSync(path, 'utf8')) as InspectReport;
    if (typeof report.sizeBytes !== 'number' || !Array.isArray(report.layers) || !report.packages) throw new Error('fields');
    return report;
  } catch {
    throw new BuildConfigurationError(`${path} is not an inspect report (invalid JSON or missing sizeBytes/layers/packages): delete it and run inspect again`);
  }
}
