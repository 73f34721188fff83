import type { ParsedDockerfile } from '../dockerfile/parse-dockerfile';

/** One problem found in a Dockerfile, before waivers are applied. */
export interface Finding {
  /** Rule id, e.g. `download-checksum` or `dockerfile-utils/EMPTY_CONTINUATION_LINE`. */
  rule: string;
  /** 1-based line the message points at. */
  line: number;
  /** 1-based first line of the instruction the finding belongs to (what a waiver above it covers). */
  instructionLine: number;
  /** What is wrong. */
  message: string;
  /** How to fix it. */
  fix: string;
}

/** The files of a build context as the engine would see them (paths relative to the context, `/`-separated). */
export interface BuildContextFiles {
  /** Files sent to the engine (not excluded by .dockerignore). */
  files: readonly string[];
  /** Files that exist in the directory but .dockerignore excludes. */
  ignored: readonly string[];
}

export interface RuleInput {
  dockerfile: ParsedDockerfile;
  /** Present when the build context is known; rules that need it are skipped otherwise. */
  context?: BuildContextFiles;
}

/** A house rule: a pure check over a parsed Dockerfile. */
export interface LintRule {
  id: string;
  /** One line for docs and the executor's schema. */
  description: string;
  check(input: RuleInput): Finding[];
}
