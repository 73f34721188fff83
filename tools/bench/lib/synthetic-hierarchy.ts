import type { BenchGraph } from './graph';

export interface NewImage {
  name: string;
  parent: string;
}

/**
 * The images to generate so the hierarchy grows to `total` images: breadth
 * first below today's leaves, `siblings` children per parent, never deeper
 * than `maxDepth` (the root image is depth 1).
 */
export function syntheticImages(graph: Pick<BenchGraph, 'order' | 'images' | 'leaves'>, total: number, siblings = 3, maxDepth = 6): NewImage[] {
  const depth: Record<string, number> = {};
  for (const project of graph.order) {
    const parents = graph.images[project].parents;
    depth[project] = parents.length === 0 ? 1 : 1 + Math.max(...parents.map((parent) => depth[parent]));
  }
  const added: NewImage[] = [];
  let frontier = graph.leaves.filter((leaf) => depth[leaf] < maxDepth);
  let count = graph.order.length;
  while (count < total && frontier.length > 0) {
    const next: string[] = [];
    let index = 0;
    for (const parent of frontier) {
      for (let i = 1; i <= siblings && count < total; i++) {
        const level = depth[parent] + 1;
        index += 1;
        const name = `synthetic-l${level}-${index}`;
        added.push({ name, parent });
        depth[name] = level;
        if (level < maxDepth) next.push(name);
        count += 1;
      }
    }
    frontier = next;
  }
  if (count < total) throw new Error(`a hierarchy of depth ${maxDepth} with ${siblings} children per image holds ${count} images, not ${total}`);
  return added;
}
