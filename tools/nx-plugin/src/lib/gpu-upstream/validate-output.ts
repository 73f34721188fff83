import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { From } from 'dockerfile-ast';
import { BuildConfigurationError } from '../errors';
import { contextSources } from '../dockerfile/context-sources';
import { parseDockerfile, type DockerfileInstruction } from '../dockerfile/parse-dockerfile';

/** What the checks compare the generated Dockerfile with. */
export interface OutputExpectations {
  /** Names the pins in every message, e.g. "gpu-jupyter 0123abcd… with docker-stacks 3f40fd030303". */
  label: string;
  /** The gpulibs fragment as the pinned commit has it, before it was emptied. */
  gpulibsFragment: string;
  gpulibsPath: string;
  usefulPackagesFragment: string;
  usefulPackagesPath: string;
}

/** Registry spellings under which NVIDIA publishes its CUDA base images. */
const NVIDIA_CUDA = /^(?:(?:docker\.io|nvcr\.io)\/)?nvidia\/cuda[:@]/;

const FIX = 'adapt tools/nx-plugin/src/lib/gpu-upstream to the generator or pin another GPU_JUPYTER_HEAD_COMMIT in build_settings.env';

function fail(label: string, what: string): never {
  throw new BuildConfigurationError(`gpu-upstream generate (${label}): ${what}: ${FIX}`);
}

/**
 * Instructions that mark a fragment as included. USER, LABEL, WORKDIR and ARG
 * lines recur across fragments and docker-stacks (gpu-jupyter's header has
 * the same LABEL as gpulibs), so they prove nothing.
 */
const GENERIC = new Set(['USER', 'LABEL', 'WORKDIR', 'ARG']);

/** The first instruction that is also in the fragment: keyword and arguments alike, continuations joined. */
function findFragment(instructions: DockerfileInstruction[], fragment: string): DockerfileInstruction | undefined {
  const marks = new Set(
    parseDockerfile(fragment)
      .instructions.filter((i) => !GENERIC.has(i.keyword))
      .map((i) => `${i.keyword} ${i.args}`),
  );
  return instructions.find((i) => marks.has(`${i.keyword} ${i.args}`));
}

/** The generator's banner above the useful packages, e.g. "#### Useful packages ####". */
const USEFUL_BANNER = /^\s*#+\s*Useful packages\s*#*\s*$/im;

const show = (i: DockerfileInstruction) => `line ${i.line}: ${i.keyword} ${i.args.length > 60 ? `${i.args.slice(0, 60)}…` : i.args}`;

/**
 * Checks the generated Dockerfile: one final base and it is NVIDIA's CUDA
 * image (the docker-stacks FROMs are meant to be filtered out), and neither
 * the GPU libraries nor the useful packages made it in.
 */
export function validateGeneratedDockerfile(text: string, expect: OutputExpectations): void {
  const { instructions } = parseDockerfile(text);
  const froms = instructions.filter((i) => i.keyword === 'FROM');
  if (froms.length === 0) fail(expect.label, 'the generated Dockerfile has no FROM');
  if (froms.length > 1) {
    fail(
      expect.label,
      `the generated Dockerfile has ${froms.length} FROM instructions (${froms.map(show).join('; ')}) but must have exactly one final base; the generator no longer filters the docker-stacks FROMs`,
    );
  }
  // The image as written, without --platform or an AS alias.
  const base = (froms[0].node as From).getImage() ?? '';
  if (!NVIDIA_CUDA.test(base)) {
    fail(expect.label, `the generated Dockerfile starts FROM ${base} (line ${froms[0].line}), not an nvidia/cuda image; the generator's header changed its base`);
  }

  // The generator still writes the gpulibs banner above the emptied fragment, so look for the fragment's own instructions.
  const gpulibsLeft = findFragment(instructions, expect.gpulibsFragment);
  if (gpulibsLeft) {
    fail(expect.label, `the generated Dockerfile still has the GPU libraries of ${expect.gpulibsPath} (${show(gpulibsLeft)}); the generator no longer takes them from that file`);
  }

  const banner = USEFUL_BANNER.exec(text);
  if (banner) fail(expect.label, `the generated Dockerfile has a "${banner[0].replace(/#/g, '').trim()}" section although --no-useful-packages was given`);
  const usefulLeft = findFragment(instructions, expect.usefulPackagesFragment);
  if (usefulLeft) {
    fail(expect.label, `the generated Dockerfile installs the useful packages of ${expect.usefulPackagesPath} (${show(usefulLeft)}) although --no-useful-packages was given`);
  }
}

/** Every file the Dockerfile copies from its context must be in the context, or the build fails late and far away. */
export function validateContextFiles(text: string, contextDir: string, label: string): void {
  for (const instruction of parseDockerfile(text).instructions) {
    // A wildcard is not one path to look up; it is left to the build.
    for (const source of contextSources(instruction).filter((path) => !/[*?[]/.test(path))) {
      if (!existsSync(join(contextDir, source))) {
        fail(label, `the generated Dockerfile copies ${source} (line ${instruction.line}) but the generator did not write it to .build/`);
      }
    }
  }
}
