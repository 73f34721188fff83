import { BuildConfigurationError } from '../errors';
import { parseDockerfile } from './parse-dockerfile';

/** Build args every builder accepts without an ARG line (Docker's predefined proxy args and BuildKit's own). */
const PREDEFINED_ARG = /^(?:(?:HTTPS?|FTP|NO|ALL)_PROXY|(?:https?|ftp|no|all)_proxy|BUILDKIT_[A-Z0-9_]+|(?:TARGET|BUILD)(?:PLATFORM|OS|ARCH|VARIANT))$/;

/** The names every ARG instruction of the Dockerfile declares (`ARG A`, `ARG A=1 B=2`), in any stage. */
export function declaredArgs(dockerfileText: string): Set<string> {
  const names = new Set<string>();
  for (const instruction of parseDockerfile(dockerfileText).instructions) {
    if (instruction.keyword !== 'ARG') continue;
    for (const token of instruction.args.trim().split(/\s+/)) {
      const name = /^([A-Za-z_][A-Za-z0-9_]*)(?:=|$)/.exec(token)?.[1];
      if (name) names.add(name);
    }
  }
  return names;
}

/**
 * A build arg no ARG declares is dropped by the builder with at most a
 * warning, yet it changes the content tag: refuse it where it is set.
 */
export function checkBuildArgsDeclared(buildArgs: Record<string, string>, dockerfileText: string, where: string, dockerfile: string): void {
  const declared = declaredArgs(dockerfileText);
  const unknown = Object.keys(buildArgs).find((name) => !declared.has(name) && !PREDEFINED_ARG.test(name));
  if (unknown === undefined) return;
  throw new BuildConfigurationError(
    `${where} buildArgs.${unknown} is no ARG of ${dockerfile}, so the build would ignore it: declare \`ARG ${unknown}\` in the Dockerfile before it is used, or remove the key`,
  );
}
