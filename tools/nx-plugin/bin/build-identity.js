// @ts-check
/**
 * The `runtime` input of every build-<stream> target (nx.json namedInputs
 * "buildIdentity"): prints what decides an image's content tag that Nx's own
 * hashing cannot see, so the Nx cache key changes whenever the tag would.
 *
 * - The environment's value of every variable build_settings.env sets or
 *   references: together with the file (a file input) they decide the
 *   settings after dotenv-expand, e.g. IMAGE_REGISTRY=${ACR_NAME}.azurecr.io.
 * - The executable files of each image's build context (images/<name>,
 *   after its .dockerignore, as the content tag lists them): Nx hashes
 *   contents, not modes, and the engine copies the exec bit into the image.
 * - With IMAGE_PUSH=true, a value of its own: the registry, not Nx, is the
 *   cache when pushing, so every executor runs and asks the registry (a HEAD
 *   per image) instead of trusting a record the registry may have lost.
 *
 * Plain JavaScript with no import beyond node's own modules and the
 * .dockerignore matcher the content tag uses: Nx runs it once per command, and
 * loading TypeScript would cost more than everything else here.
 */
const { randomUUID } = require('node:crypto');
const { readFileSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const dockerignore = require('@balena/dockerignore').default;

const root = process.cwd();
const lines = [];

let settings = '';
try {
  settings = readFileSync(join(root, 'build_settings.env'), 'utf8');
} catch {
  // The build itself reports a missing settings file.
}
const names = new Set();
for (const match of settings.matchAll(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)) names.add(match[1]);
for (const match of settings.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(match[1]);
for (const name of [...names].sort()) {
  const value = process.env[name];
  lines.push(`env ${name}${value === undefined ? ' unset' : `=${JSON.stringify(value)}`}`);
}

const executables = (projectDir, ignore, dir = '') => {
  for (const entry of readdirSync(join(root, projectDir, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) executables(projectDir, ignore, path);
    else if (entry.isFile() && !ignore.ignores(path) && (statSync(join(root, projectDir, path)).mode & 0o111) !== 0) lines.push(`exec ${projectDir}/${path}`);
  }
};
let projects = [];
try {
  projects = readdirSync(join(root, 'images'), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
} catch {
  // No images/: nothing to build.
}
for (const project of projects) {
  // What the engine never receives (README, tests/ by the generator's .dockerignore) cannot change the image.
  const ignore = dockerignore({ ignorecase: false });
  try {
    ignore.add(readFileSync(join(root, 'images', project, '.dockerignore'), 'utf8').split(/\r?\n/));
  } catch {
    // No .dockerignore: the engine receives every file.
  }
  executables(`images/${project}`, ignore);
}

// IMAGE_PUSH may be set in build_settings.env too (the environment wins, as for every setting).
const push = process.env.IMAGE_PUSH ?? settings.match(/^\s*(?:export\s+)?IMAGE_PUSH\s*=\s*["']?([A-Za-z]*)/m)?.[1];
if (push === 'true') lines.push(`push run ${randomUUID()}`);

process.stdout.write(`${lines.join('\n')}\n`);
