import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const TOOLS = join(__dirname, '..');
const PLUGIN = join(TOOLS, 'nx-plugin');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === PLUGIN || entry.name === 'node_modules' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('tools outside the plugin', () => {
  it('reach its library through the one path alias (@kubeflow-images/plugin-lib/...), never a relative path into it', () => {
    const files = sources(TOOLS);
    expect(files.some((file) => readFileSync(file, 'utf8').includes("'@kubeflow-images/plugin-lib/"))).toBe(true);
    const relativeImports = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/['"](\.\.\/)+nx-plugin\/src\//.test(line) ? [`${relative(TOOLS, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(relativeImports).toEqual([]);
  });
});
