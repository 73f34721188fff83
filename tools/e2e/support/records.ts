import { existsSync, readFileSync } from 'node:fs';
import type { Stream } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { recordPath, type BuildRecord } from '@kubeflow-images/plugin-lib/records/build-record';

export function readRecordIn(root: string, project: string, stream = 'cpu'): BuildRecord | null {
  const path = recordPath(root, project, stream as Stream);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

/** The projects Nx actually ran (not restored from its cache), from its static output. */
export function tasksRun(output: string, target: string): string[] {
  const ran = new Set<string>();
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  for (const match of plain.matchAll(new RegExp(`> nx run ([\\w-]+):${target}(?::\\w+)?(  \\[(?:local|remote) cache\\]|  \\[existing outputs match the cache, left as is\\])?`, 'g'))) {
    if (!match[2]) ran.add(match[1]);
  }
  return [...ran].sort();
}
