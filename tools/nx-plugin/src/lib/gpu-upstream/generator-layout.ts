import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';

export const GENERATOR_SCRIPT = 'generate-Dockerfile.sh';
/** Where the generator writes the Dockerfile and the files it copies (its build context). */
export const GENERATOR_OUTPUT_DIR = '.build';
/** Where the generator expects its docker-stacks checkout; it clones from GitHub when README.md is missing there. */
export const STACKS_DIR = '.build/docker-stacks';

/** The fragment files gpu-jupyter's generator concatenates, by the layout of its commit. */
export interface GeneratorLayout {
  name: 'custom/' | 'src/';
  header: string;
  gpulibs: string;
  usefulPackages: string;
}

/** gpu-jupyter moved its fragments from src/ to custom/ (Dec 2023); both are known. */
export const KNOWN_LAYOUTS: GeneratorLayout[] = [
  { name: 'custom/', header: 'custom/header.Dockerfile', gpulibs: 'custom/gpulibs.Dockerfile', usefulPackages: 'custom/usefulpackages.Dockerfile' },
  { name: 'src/', header: 'src/Dockerfile.header', gpulibs: 'src/Dockerfile.gpulibs', usefulPackages: 'src/Dockerfile.usefulpackages' },
];

const FIX = 'adapt KNOWN_LAYOUTS in tools/nx-plugin/src/lib/gpu-upstream/generator-layout.ts or pin another GPU_JUPYTER_HEAD_COMMIT in build_settings.env';

/**
 * Finds the fragment layout of a gpu-jupyter checkout, and makes sure its
 * generator really reads the gpulibs file we empty: otherwise emptying it
 * would silently leave the GPU libraries in.
 */
export function detectLayout(checkout: string, label: string): GeneratorLayout {
  const where = `gpu-upstream generate (${label})`;
  const script = join(checkout, GENERATOR_SCRIPT);
  if (!existsSync(script)) throw new BuildConfigurationError(`${where}: gpu-jupyter has no ${GENERATOR_SCRIPT}: ${FIX}`);
  const fragments = (l: GeneratorLayout) => [l.header, l.gpulibs, l.usefulPackages];
  // custom/ holds other files too (the token addendum), so a layout is there when one of its fragments is.
  const layout = KNOWN_LAYOUTS.find((candidate) => fragments(candidate).some((file) => existsSync(join(checkout, file))));
  if (!layout) {
    const known = KNOWN_LAYOUTS.map((l) => `${l.name} (${fragments(l).map((f) => f.slice(l.name.length)).join(', ')})`);
    throw new BuildConfigurationError(`${where}: neither ${known.join(' nor ')} found: the generator's fragment layout changed: ${FIX}`);
  }
  const missing = fragments(layout).filter((file) => !existsSync(join(checkout, file)));
  if (missing.length > 0) {
    throw new BuildConfigurationError(`${where}: ${layout.name} lacks ${missing.join(', ')}: the generator's fragment layout changed: ${FIX}`);
  }
  const source = readFileSync(script, 'utf8');
  for (const file of [layout.gpulibs, layout.usefulPackages]) {
    if (!source.includes(file)) {
      throw new BuildConfigurationError(`${where}: ${GENERATOR_SCRIPT} no longer reads ${file}, so the GPU libraries and useful packages cannot be left out as before: ${FIX}`);
    }
  }
  return layout;
}
