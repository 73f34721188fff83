/**
 * Inspect's cost: time and peak memory of reading an image's layers
 * (podman save streamed through tar-stream) and counting its waste, for small
 * fixture images and for a synthetic image with one large layer
 * (BENCH_INSPECT_LAYER_MB, default 1024, of zeros: cheap to make, and all
 * that matters for streaming is its size). Each image is read by a fresh
 * node process (this file with --probe) so its peak RSS is inspect's alone.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSavedImage } from '@kubeflow-images/plugin-lib/inspect/engine-image';
import { countWaste } from '@kubeflow-images/plugin-lib/inspect/waste';
import { buildBusyboxImage, type PodmanMachine } from '../../e2e/support/podman-fixtures';
import { WORKSPACE_ROOT } from '../../e2e/support/temp-workspace';

export interface InspectMeasurement {
  image: string;
  description: string;
  image_bytes: number;
  wasted_bytes: number;
  seconds: number;
  peak_rss_mb: number;
}

interface ProbeResult {
  imageBytes: number;
  wastedBytes: number;
  seconds: number;
  peakRssMb: number;
}

async function probe(image: string): Promise<ProbeResult> {
  const started = process.hrtime.bigint();
  const archive = await readSavedImage('podman', image);
  const waste = countWaste(
    archive.layers.map((layer) => layer.files),
    1,
  );
  return {
    imageBytes: archive.layers.reduce((sum, layer) => sum + layer.sizeBytes, 0),
    wastedBytes: waste.reduce((sum, entry) => sum + entry.bytes, 0),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    // resourceUsage().maxRSS is in KiB.
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function measure(machine: PodmanMachine, image: string, description: string): InspectMeasurement {
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', __filename, '--probe', image], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, ...machine.env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`inspect probe of ${image} failed: ${result.stderr.trim().split('\n').pop()}`);
  const probed = JSON.parse(result.stdout.trim().split('\n').pop()!) as ProbeResult;
  const round = (value: number) => Math.round(value * 100) / 100;
  return { image, description, image_bytes: probed.imageBytes, wasted_bytes: probed.wastedBytes, seconds: round(probed.seconds), peak_rss_mb: round(probed.peakRssMb) };
}

/** Builds the images in `machine`, measures each, writes `out`/inspect.json and returns a table. */
export function inspectBench(machine: PodmanMachine, out: string, log: (line: string) => void): string {
  const layerMb = Number(process.env.BENCH_INSPECT_LAYER_MB ?? 1024);
  const images: Array<[string, string, string[]]> = [
    ['bench-inspect/chmod-later:1', '10 MiB file chmod-ed in a later RUN', ['RUN head -c 10485760 /dev/zero > /big', 'RUN chmod 600 /big']],
    ['bench-inspect/many-files:1', '2000 small files, re-owned in a later RUN', ['RUN mkdir /many && for i in $(seq 2000); do echo $i > /many/$i; done', 'RUN chown -R 1000 /many']],
    [`bench-inspect/large-layer:1`, `one ${layerMb} MiB layer`, [`RUN head -c ${layerMb * 1024 * 1024} /dev/zero > /big`]],
  ];
  const results: InspectMeasurement[] = [];
  for (const [image, description, lines] of images) {
    log(`inspect bench: building ${image} (${description})`);
    buildBusyboxImage(machine, image, lines);
    results.push(measure(machine, image, description));
    log(`inspect bench: ${image}: ${results[results.length - 1].seconds} s, peak RSS ${results[results.length - 1].peak_rss_mb} MB`);
  }
  writeFileSync(join(out, 'inspect.json'), `${JSON.stringify(results, null, 2)}\n`);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  return [
    'inspect (podman save streamed, waste counted; peak RSS of the reading node process):',
    ...results.map((r) => `  ${r.description.padEnd(44)} image ${mb(r.image_bytes).padStart(7)} MiB  waste ${mb(r.wasted_bytes).padStart(6)} MiB  ${r.seconds.toFixed(2).padStart(6)} s  peak ${r.peak_rss_mb.toFixed(0).padStart(4)} MB`),
    `Written: ${join(out, 'inspect.json')}`,
  ].join('\n');
}

if (process.argv[2] === '--probe') {
  probe(process.argv[3]).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
