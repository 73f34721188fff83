/**
 * Regenerates figures/*.svg from the Nx project graph: `npm run figures`.
 * With --check it writes nothing and exits 1 when a committed figure is stale.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { workspaceRoot } from '@nx/devkit';
import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';
import { figurePath, loadHierarchy, REGENERATE_COMMAND, renderFigures } from './figures';

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const { graph, settings } = await loadHierarchy(workspaceRoot);
  const rendered = await renderFigures(graph, settings);
  let stale = 0;
  for (const [file, svg] of rendered) {
    const path = figurePath(workspaceRoot, file);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (current === svg) {
      console.log(`${file}: up to date`);
    } else if (check) {
      stale++;
      console.error(`${file}: ${current === null ? 'missing' : 'out of date with the Nx project graph'}`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, svg);
      console.log(`${file}: written`);
    }
  }
  if (stale > 0) console.error(`run \`${REGENERATE_COMMAND}\` and commit the figures`);
  return stale > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // A broken hierarchy is the user's to fix: print the one-line message, not a stack.
    console.error(error instanceof BuildConfigurationError ? `figures: ${error.message}` : error);
    process.exit(1);
  },
);
