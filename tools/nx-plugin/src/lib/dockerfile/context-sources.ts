import type { Copy } from 'dockerfile-ast';
import type { DockerfileInstruction } from './parse-dockerfile';

/**
 * The build-context paths a COPY or ADD reads, quotes removed as the builder
 * removes them. Sources that cannot be checked statically are left out:
 * COPY/ADD --from (another stage or image), an instruction with a heredoc,
 * URLs, git remotes and paths with variables. Wildcards are kept; a reader
 * that cannot match them skips them. Other instructions read no sources.
 */
export function contextSources(instruction: DockerfileInstruction): string[] {
  if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') return [];
  const node = instruction.node as Copy;
  if (node.getFlags().some((flag) => flag.getName() === 'from')) return [];
  let paths: string[];
  const args = instruction.args.replace(/^(--\S+\s+)*/, '');
  if (args.startsWith('[')) {
    try {
      paths = JSON.parse(args) as string[];
    } catch {
      return [];
    }
  } else {
    paths = node.getArguments().map((a) => a.getValue().replace(/^(["'])(.*)\1$/, '$2'));
    // dockerfile-ast counts a heredoc's body among the arguments, so its paths cannot be told apart.
    if (paths.some((path) => path.startsWith('<<'))) return [];
  }
  return paths.slice(0, -1).filter((source) => !/\$|:\/\//.test(source) && !/^git@/.test(source));
}
