/**
 * The committed figures must be what the current Nx project graph renders:
 * change the hierarchy (or the pins) without `npm run figures` and this fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { workspaceRoot } from '@nx/devkit';
import { figurePath, FIGURES, loadHierarchy, REGENERATE_COMMAND, renderFigures, renderSvg } from './figures';

jest.setTimeout(120_000);

describe('figures/', () => {
  let rendered: Map<string, string>;

  beforeAll(async () => {
    const { graph, settings } = await loadHierarchy(workspaceRoot);
    rendered = await renderFigures(graph, settings);
  });

  it.each(FIGURES.map((figure) => figure.file))('%s matches the Nx project graph', (file) => {
    const path = figurePath(workspaceRoot, file);
    const committed = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (committed !== rendered.get(file)) {
      throw new Error(
        `${file} is ${committed === null ? 'missing' : 'out of date with the Nx project graph'}: run \`${REGENERATE_COMMAND}\` and commit the figures`,
      );
    }
  });

  it('renders the same SVG every time (no ids, dates or randomness)', async () => {
    const { graph, settings } = await loadHierarchy(workspaceRoot);
    expect(await renderFigures(graph, settings)).toEqual(rendered);
  });

  it('reports invalid DOT with Graphviz own message', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(/Graphviz could not render the figure: .*syntax error/);
  });
});
