import { DockerfileParser, type From } from 'dockerfile-ast';
import { BuildConfigurationError } from '../errors';

export interface FinalBase {
  /** The image the final stage starts from, ARG defaults substituted. */
  image: string;
  /** 1-based line of its FROM. */
  line: number;
}

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/**
 * The external image the final stage of a Dockerfile builds on, read with
 * dockerfile-ast: the last FROM, followed through stage aliases
 * (`FROM a AS b` ... `FROM b`), with `$VAR` taken from the ARG defaults
 * before the first FROM as the builder does. `where` names the file in
 * errors and `fix` tells the reader how to repair it.
 */
export function finalBaseImage(text: string, where: string, fix: string): FinalBase {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  if (froms.length === 0) throw new BuildConfigurationError(`${where} has no FROM instruction: ${fix}`);

  const defaults = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    for (const property of arg.getProperties()) {
      const value = property.getValue();
      if (value !== null) defaults.set(property.getName(), value);
    }
  }
  const { from, image, line } = finalStage(froms, (raw, line) =>
    raw.replace(VARIABLE, (_, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      const value = defaults.get(name);
      if (value === undefined) {
        throw new BuildConfigurationError(`${where}:${line}: FROM ${raw} uses $${name}, which no ARG before the first FROM gives a default: ${fix}`);
      }
      return value;
    }),
  );
  if (!from.getImage()) throw new BuildConfigurationError(`${where}:${line}: FROM names no image: ${fix}`);
  return { image, line };
}

/**
 * The FROM the final stage really starts from: the last FROM, followed
 * through stage names (`FROM a AS b` ... `FROM b`) to an image that is no
 * earlier stage. `imageOf` turns the written image into the name to look up
 * (ARG substitution, or nothing). `froms` must not be empty.
 */
export function finalStage(froms: From[], imageOf: (written: string, line: number) => string): { from: From; image: string; line: number } {
  const stageIndex = new Map<string, number>();
  froms.forEach((from, index) => {
    const stage = from.getBuildStage();
    if (stage) stageIndex.set(stage.toLowerCase(), index);
  });
  let index = froms.length - 1;
  const visited = new Set<number>();
  for (;;) {
    visited.add(index);
    const from = froms[index];
    const line = from.getRange().start.line + 1;
    const written = from.getImage() ?? '';
    const image = written ? imageOf(written, line) : '';
    const stage = stageIndex.get(image.toLowerCase());
    if (!image || stage === undefined || stage >= index || visited.has(stage)) return { from, image, line };
    index = stage;
  }
}
