/**
 * Pure DOT builders for the hierarchy figures: (image graph, build settings) in,
 * DOT text out. No I/O and no Graphviz here; ordering is sorted so the same
 * graph always gives byte-identical DOT (and therefore identical SVG).
 *
 * Edges come from resolveParentChain, the same function the build executor uses,
 * so the figures draw exactly the parents the builds use.
 */
import { hasStream, isImageProject, STREAMS, UPSTREAM_TAG, type ImageGraph, type ImageNode, type Stream } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { resolveParentChain } from '@kubeflow-images/plugin-lib/hierarchy/resolve-parent';
import type { BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { imageRepository } from '@kubeflow-images/plugin-lib/images/image-names';
import { parseImageReference, writtenName } from '@kubeflow-images/plugin-lib/registry/image-reference';

/** One image project as the figures show it. */
export interface FigureImage {
  name: string;
  root: string;
  /** metadata.imageName, or the project name when it has none. */
  imageName: string;
  streams: Stream[];
  upstream: boolean;
}

/** Where one stream of an image gets its parent from. */
export type FigureParent =
  | { kind: 'project'; project: string }
  /** `owner`: the upstream project that stands for the pin (e.g. cpu-upstream), when the root names one. */
  | { kind: 'pinned'; settingKey: string; reference: string; owner?: string }
  /** An upstream project: its own (generated) Dockerfile names its base. */
  | { kind: 'own-dockerfile' };

export interface FigureEdge {
  stream: Stream;
  child: string;
  parent: FigureParent;
}

export interface HierarchyModel {
  /** Image projects, sorted: upstream projects first, then by name. */
  images: FigureImage[];
  /** One per (image, stream), in the order of `images` then STREAMS. */
  edges: FigureEdge[];
}

/** Reduces the image graph to what the figures draw; fails (like a build would) on a broken hierarchy. */
export function hierarchyModel(graph: ImageGraph, settings: BuildSettings): HierarchyModel {
  const nodes = Object.values(graph).filter((node): node is ImageNode => isImageProject(node));
  const images = nodes
    .map((node) => ({
      name: node.name,
      root: node.root,
      imageName: node.imageName ?? node.name,
      streams: STREAMS.filter((stream) => hasStream(node, stream)),
      upstream: node.tags.includes(UPSTREAM_TAG),
    }))
    .sort((a, b) => Number(b.upstream) - Number(a.upstream) || compare(a.name, b.name));
  const edges: FigureEdge[] = [];
  for (const image of images) {
    for (const stream of image.streams) {
      const [{ parent: source }] = resolveParentChain(graph, image.name, stream, settings); // throws on a cycle, naming it
      const parent: FigureParent =
        source.kind === 'pinned' ? { kind: 'pinned', settingKey: source.settingKey, reference: source.reference, owner: pinOwner(graph, image.name) } : source;
      edges.push({ stream, child: image.name, parent });
    }
  }
  return { images, edges };
}

/** The upstream project a root image names that builds nothing: it stands for the root's pin. */
function pinOwner(graph: ImageGraph, root: string): string | undefined {
  return graph[root].implicitDependencies.find((dep) => graph[dep] && graph[dep].tags.includes(UPSTREAM_TAG) && !isImageProject(graph[dep]));
}

// ---------------------------------------------------------------- shared style

/** Graphviz knows Verdana's metrics, and Linux falls back to DejaVu Sans, which has nearly the same widths, so labels fit. */
const FONT = 'Verdana';
const FILL = {
  both: '#d9ead3',
  cpuOnly: '#dae8fc',
  gpuOnly: '#ffe6cc',
  upstream: '#eeeeee',
  generator: '#fff2cc',
} as const;

function fillOf(image: FigureImage): string {
  if (image.upstream) return FILL.upstream;
  if (image.streams.length === STREAMS.length) return FILL.both;
  return image.streams.includes('cpu') ? FILL.cpuOnly : FILL.gpuOnly;
}

function streamsText(image: FigureImage): string {
  return image.streams.length === 1 ? `${image.streams[0]} only` : image.streams.join(' + ');
}

function header(name: string, title: string): string[] {
  return [
    `digraph ${name} {`,
    `  graph [rankdir=TB, newrank=true, nodesep=0.35, ranksep=0.5, pad=0.4, fontname=${q(FONT)}, fontsize=10, labelloc=b, label=${q(title)}];`,
    `  node [shape=box, style="rounded,filled", fontname=${q(FONT)}, fontsize=12, color="#666666", penwidth=1.1, margin="0.2,0.07"];`,
    `  edge [color="#555555", fontname=${q(FONT)}, fontsize=10, arrowsize=0.7];`,
  ];
}

/** Only the colours the figure uses, then where it comes from. */
function legend(model: HierarchyModel): string {
  const used = new Set(model.images.map(fillOf));
  const entries = [
    [FILL.both, 'green: cpu + gpu'],
    [FILL.cpuOnly, 'blue: cpu only'],
    [FILL.gpuOnly, 'orange: gpu only'],
  ].filter(([fill]) => used.has(fill));
  return [...entries.map(([, text]) => text), 'grey: upstream'].join('    ') + '\nGenerated from the Nx project graph by npm run figures';
}

// ---------------------------------------------------------------- summary

/** upstreams → base → minimal → leaves, one node per image with its published name. */
export function summaryDot(graph: ImageGraph, settings: BuildSettings): string {
  const model = hierarchyModel(graph, settings);
  const lines = header('hierarchy_summary', `\nKubeflow notebook images\n${legend(model)}`);

  const pins = pinnedParents(model);
  const upstreamIds = [...pins.map((pin) => pinId(pin.settingKey)), ...model.images.filter((i) => i.upstream).map((i) => imageId(i.name))];
  for (const pin of pins) {
    const untagged = settings.values[`${pin.settingKey}_UNTAGGED`] || displayReference(pin.reference).repository;
    lines.push(
      `  ${q(pinId(pin.settingKey))} [label=${html(untagged, `${pin.owner ? `${graph[pin.owner].root} · ` : ''}${pin.streams.join(' + ')} root`)}, fillcolor=${q(FILL.upstream)}];`,
    );
  }
  for (const image of model.images) {
    const note = image.upstream ? `${image.root} · ${image.streams.join(' + ')} root` : `${image.root} · ${streamsText(image)}`;
    lines.push(`  ${q(imageId(image.name))} [label=${html(image.imageName, note)}, fillcolor=${q(fillOf(image))}];`);
  }
  if (upstreamIds.length > 0) lines.push(`  { rank=min; ${upstreamIds.map(q).join('; ')}; }`);

  // One edge per (parent, child); label it with its streams only when it does not carry all of the child's streams.
  const merged = new Map<string, { from: string; to: string; streams: Stream[]; childStreams: Stream[] }>();
  for (const edge of model.edges) {
    if (edge.parent.kind === 'own-dockerfile') continue;
    const from = edge.parent.kind === 'project' ? imageId(edge.parent.project) : pinId(edge.parent.settingKey);
    const to = imageId(edge.child);
    const key = `${from}\u0000${to}`;
    const childStreams = model.images.find((i) => i.name === edge.child)!.streams;
    const entry = merged.get(key) ?? { from, to, streams: [], childStreams };
    entry.streams.push(edge.stream);
    merged.set(key, entry);
  }
  for (const edge of [...merged.values()].sort((a, b) => compare(a.from + a.to, b.from + b.to))) {
    const label = edge.streams.length < edge.childStreams.length ? ` [label=${q(` ${edge.streams.join(' + ')}`)}]` : '';
    lines.push(`  ${q(edge.from)} -> ${q(edge.to)}${label};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- detailed

/**
 * Both streams side by side: the cpu pin and the gpu-jupyter generation of
 * gpu-upstream at the top, then every image of each stream under its parent,
 * named as it is published (<image-name>-<stream>).
 */
export function detailedDot(graph: ImageGraph, settings: BuildSettings): string {
  const model = hierarchyModel(graph, settings);
  const lines = header('hierarchy_detailed', `\nKubeflow notebook images: both streams, from one set of Dockerfiles\n${legend(model)}`);
  const dockerStacksCommit = settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT ?? '';
  const dockerStacksRepo = displayRepository(settings.values.DOCKER_STACKS_REPO ?? '');
  const gpuJupyterRepo = displayRepository(settings.values.GPU_JUPYTER_REPO ?? '');
  const gpuJupyterCommit = shortCommit(settings.values.GPU_JUPYTER_HEAD_COMMIT ?? '');

  const sourceId = 'source:docker-stacks';
  lines.push(
    `  ${q(sourceId)} [shape=note, style=filled, fillcolor=${q(FILL.generator)}, label=${html('docker-stacks', `${dockerStacksRepo} @ ${dockerStacksCommit}`, 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT')}];`,
  );

  const crossEdges: string[] = [];
  /** Where each stream starts (the cpu pin, the gpu-jupyter generation): drawn side by side at the top. */
  const origins: string[] = [];
  for (const stream of STREAMS) {
    const images = model.images.filter((image) => image.streams.includes(stream));
    const edges = model.edges.filter((edge) => edge.stream === stream);
    lines.push(`  subgraph cluster_${stream} {`);
    lines.push(`    graph [label=${q(`${stream} stream`)}, labelloc=t, fontsize=14, style="rounded,dashed", color="#999999", margin=14];`);
    for (const pin of pinnedParents(model).filter((p) => p.streams.includes(stream))) {
      const { repository, tag } = displayReference(pin.reference);
      lines.push(
        `    ${q(streamId(stream, pinId(pin.settingKey)))} [fillcolor=${q(FILL.upstream)}, label=${html(repository, tag ? `${tag.startsWith('@') ? '' : 'tag '}${tag}` : '', `${pin.owner ? `${graph[pin.owner].root} · ` : ''}${pin.settingKey} in build_settings.env`)}];`,
      );
      crossEdges.push(`  ${q(sourceId)} -> ${q(streamId(stream, pinId(pin.settingKey)))} [style=dashed, label=" published image"];`);
      origins.push(streamId(stream, pinId(pin.settingKey)));
    }
    if (edges.some((edge) => edge.parent.kind === 'own-dockerfile') && stream === 'gpu') {
      const generatorId = streamId(stream, 'generator:gpu-jupyter');
      lines.push(
        `    ${q(generatorId)} [shape=component, style=filled, fillcolor=${q(FILL.generator)}, label=${html('gpu-jupyter generate-Dockerfile.sh', `${gpuJupyterRepo} @ ${gpuJupyterCommit}`, `+ docker-stacks @ ${dockerStacksCommit}`)}];`,
      );
      crossEdges.push(`  ${q(sourceId)} -> ${q(generatorId)} [style=dashed, label=" sources"];`);
      origins.push(generatorId);
    }
    for (const image of images) {
      const published = imageRepository('', image.imageName, stream);
      const note = image.upstream ? `${image.root} · generated ${stream} root` : `${image.root} · ${streamsText(image)}`;
      lines.push(`    ${q(streamId(stream, imageId(image.name)))} [fillcolor=${q(fillOf(image))}, label=${html(published, note)}];`);
    }
    for (const edge of edges) {
      const to = q(streamId(stream, imageId(edge.child)));
      if (edge.parent.kind === 'project') lines.push(`    ${q(streamId(stream, imageId(edge.parent.project)))} -> ${to};`);
      else if (edge.parent.kind === 'pinned') lines.push(`    ${q(streamId(stream, pinId(edge.parent.settingKey)))} -> ${to};`);
      else if (stream === 'gpu') lines.push(`    ${q(streamId(stream, 'generator:gpu-jupyter'))} -> ${to} [style=dashed, label=" Dockerfile"];`);
    }
    lines.push('  }');
  }
  lines.push(...crossEdges);
  if (origins.length > 1) lines.push(`  { rank=same; ${origins.map(q).join('; ')}; }`);
  // The same image sits at the same height in both streams.
  for (const image of model.images) {
    if (image.streams.length > 1) lines.push(`  { rank=same; ${image.streams.map((s) => q(streamId(s, imageId(image.name)))).join('; ')}; }`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- helpers

interface PinnedParent {
  settingKey: string;
  reference: string;
  owner?: string;
  streams: Stream[];
}

function pinnedParents(model: HierarchyModel): PinnedParent[] {
  const pins = new Map<string, PinnedParent>();
  for (const edge of model.edges) {
    if (edge.parent.kind !== 'pinned') continue;
    const pin = pins.get(edge.parent.settingKey) ?? { settingKey: edge.parent.settingKey, reference: edge.parent.reference, owner: edge.parent.owner, streams: [] };
    if (!pin.streams.includes(edge.stream)) pin.streams.push(edge.stream);
    pins.set(edge.parent.settingKey, pin);
  }
  return [...pins.values()].sort((a, b) => compare(a.settingKey, b.settingKey));
}

export function imageId(project: string): string {
  return `image:${project}`;
}

export function pinId(settingKey: string): string {
  return `pin:${settingKey}`;
}

/** Node id of something drawn inside one stream's cluster. */
export function streamId(stream: Stream, id: string): string {
  return `${stream}/${id}`;
}

/** "quay.io/x/y:tag" → { repository: "quay.io/x/y", tag: "tag" }; a digest keeps its "@"; names stay as written. */
export function displayReference(reference: string): { repository: string; tag: string } {
  const { tag, digest } = parseImageReference(reference);
  return { repository: writtenName(reference), tag: `${tag ?? ''}${digest ? `@${digest}` : ''}` };
}

/** "https://github.com/a/b.git" → "github.com/a/b"; a local path stays as it is. */
export function displayRepository(repository: string): string {
  return repository
    .replace(/^[a-z+]+:\/\//i, '')
    .replace(/^git@([^:]+):/, '$1/')
    .replace(/\.git$/, '');
}

export function shortCommit(commit: string): string {
  return /^[0-9a-f]{8,40}$/i.test(commit) ? commit.slice(0, 7) : commit;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A DOT double-quoted string. */
function q(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An HTML-like label: a bold first line, then smaller grey lines. */
function html(title: string, ...notes: string[]): string {
  const rest = notes
    .filter((note) => note !== '')
    .map((note) => `<BR/><FONT POINT-SIZE="10" COLOR="#444444">${escapeHtml(note)}</FONT>`)
    .join('');
  return `<<B>${escapeHtml(title)}</B>${rest}>`;
}
