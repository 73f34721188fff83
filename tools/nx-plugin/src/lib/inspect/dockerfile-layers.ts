import type { DockerfileInstruction, ParsedDockerfile } from '../dockerfile/parse-dockerfile';

export interface HistoryEntry {
  created_by?: string;
  empty_layer?: boolean;
}

export interface LayerOrigin {
  /** The history's command for this layer (what `docker history` shows). */
  createdBy: string | null;
  /** 1-based line of the Dockerfile instruction that made it; null for inherited layers or when it cannot be told. */
  dockerfileLine: number | null;
  /** The instruction's keyword and arguments, e.g. "RUN chmod 600 /big". */
  instruction: string | null;
}

const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

/** RUN / COPY / ADD and the command text as the history records it, for buildah, docker and BuildKit. */
export function parseCreatedBy(createdBy: string): { keyword: string | null; text: string } {
  let text = createdBy.trim().replace(/\s*# buildkit$/, '');
  const nop = /^\/bin\/sh -c #\(nop\)\s+([A-Z]+)\b\s*(.*)$/s.exec(text);
  if (nop) return { keyword: nop[1], text: nop[2] };
  const buildkit = /^([A-Z]+)\s+(.*)$/s.exec(text);
  if (buildkit && buildkit[1] !== 'RUN') return { keyword: buildkit[1], text: buildkit[2] };
  if (buildkit) text = buildkit[2];
  // A RUN: `/bin/sh -c <command>`, with `|N ARG=..` before it when build args are in scope.
  text = text.replace(/^\|\d+(\s+\S+=\S*)*\s+/, '').replace(/^\/bin\/sh -c\s+/, '');
  return { keyword: 'RUN', text };
}

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The instructions of the final stage that make layers, in order. */
export function layerInstructions(dockerfile: ParsedDockerfile): DockerfileInstruction[] {
  let lastFrom = -1;
  dockerfile.instructions.forEach((instruction, index) => {
    if (instruction.keyword === 'FROM') lastFrom = index;
  });
  return dockerfile.instructions.slice(lastFrom + 1).filter((instruction) => LAYER_KEYWORDS.has(instruction.keyword));
}

/**
 * Maps each layer to the history entry that made it and, for this image's own
 * layers (index >= firstOwnLayer), to the Dockerfile instruction: own layers
 * and the final stage's RUN/COPY/ADD are walked in order; a RUN is matched
 * by its command text where the history keeps it, so a RUN that made no layer
 * is skipped instead of shifting every later line.
 */
export function layerOrigins(history: HistoryEntry[], layerCount: number, firstOwnLayer: number, dockerfile: ParsedDockerfile): LayerOrigin[] {
  const layerHistory = history.filter((entry) => !entry.empty_layer);
  const aligned = layerHistory.length === layerCount;
  const instructions = layerInstructions(dockerfile);
  let cursor = 0;
  return Array.from({ length: layerCount }, (_, index) => {
    const createdBy = aligned ? (layerHistory[index].created_by ?? null) : null;
    if (index < firstOwnLayer || createdBy === null) return { createdBy, dockerfileLine: null, instruction: null };
    const { keyword, text } = parseCreatedBy(createdBy);
    const rest = instructions.slice(cursor);
    const sameKeyword = rest.filter((instruction) => instruction.keyword === keyword);
    const byText = keyword === 'RUN' ? sameKeyword.find((instruction) => squash(instruction.args) === squash(text)) : undefined;
    const match = byText ?? sameKeyword[0];
    if (!match) return { createdBy, dockerfileLine: null, instruction: null };
    cursor = instructions.indexOf(match) + 1;
    return { createdBy, dockerfileLine: match.line, instruction: `${match.keyword} ${match.args}` };
  });
}
