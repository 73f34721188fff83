#!/usr/bin/env node
/**
 * Compiles the workspace Nx plugin and installs it as a package in the
 * workspace's node_modules (node_modules/@kubeflow-images/nx-plugin), laid out
 * as a published plugin is: package.json, executors.json, generators.json,
 * dist/ (the JavaScript) and src/ (the sources it was compiled from). Nx then
 * loads it like any installed plugin, as plain modules: a plugin found inside
 * the workspace is looked up source-first, which loads the TypeScript compiler
 * in every task's process. Run by the root `prepare` script (npm ci / npm
 * install), by `npm run build:plugin` and by `nx run nx-plugin:build`.
 *
 * Every .ts under src/ is compiled (specs and test helpers excepted, see
 * tsconfig.lib.json); every other file under src/ (schemas, generator
 * templates) is copied beside it. compiled-from.json records the sha256 of
 * each source, taken before the compile: the build executor refuses to run
 * when the workspace's sources differ. The package is made in a staging
 * folder and swapped in, so a deleted source leaves no stale module behind and
 * a failed compile leaves the previous package in place.
 */
const { spawnSync } = require('node:child_process');
const { cpSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, relative, sep } = require('node:path');

const pluginRoot = __dirname;
const workspaceRoot = join(pluginRoot, '..', '..');
const src = join(pluginRoot, 'src');
const packageName = require('./package.json').name;
const installed = join(workspaceRoot, 'node_modules', ...packageName.split('/'));
const staging = `${installed}.${process.pid}.tmp`;
const PACKAGE_FILES = ['package.json', 'executors.json', 'generators.json'];

function fail(message) {
  rmSync(staging, { recursive: true, force: true });
  process.stderr.write(`build-plugin: ${message}\n`);
  process.exit(1);
}

const isTestOnly = (path) => /\.spec\.ts$|\.test-helper\.ts$/.test(path) || path.split('/').includes('testing');

rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
// The sources as they are now, before the compile reads them: a file saved during the compile then
// differs from what compiled-from.json records, and the build executor asks for a new compile.
const snapshot = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, entry.name);
    const path = relative(src, from).split(sep).join('/');
    if (entry.isDirectory()) snapshot(from);
    else if (!isTestOnly(path)) cpSync(from, join(staging, 'src', path));
  }
};
snapshot(src);

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pluginRoot, 'tsconfig.lib.json'), '--outDir', join(staging, 'dist')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) fail(`tsc -p ${relative(process.cwd(), join(pluginRoot, 'tsconfig.lib.json'))} failed: fix the type errors above`);

const copyAssets = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(from);
    else if (!entry.name.endsWith('.ts')) cpSync(from, join(staging, 'dist', relative(join(staging, 'src'), from)));
  }
};
copyAssets(join(staging, 'src'));
for (const file of PACKAGE_FILES) cpSync(join(pluginRoot, file), join(staging, file));
if (!statSync(join(staging, 'dist', 'index.js'), { throwIfNoEntry: false })) fail('tsc wrote no index.js');

const { COMPILED_FROM_FILE, sourceDigests } = require(join(staging, 'dist', 'lib', 'plugin-build', 'compiled-plugin.js'));
const compiledFrom = { sources: relative(workspaceRoot, src).split(sep).join('/'), files: sourceDigests(join(staging, 'src')) };
writeFileSync(join(staging, COMPILED_FROM_FILE), `${JSON.stringify(compiledFrom, null, 2)}\n`);
rmSync(installed, { recursive: true, force: true });
renameSync(staging, installed);
