#!/usr/bin/env node
/**
 * Compiles the workspace Nx plugin to JavaScript in tools/nx-plugin/dist, so
 * Nx loads executors as plain modules instead of transpiling TypeScript (and
 * loading the typescript compiler) in every task's process. Run by the root
 * `prepare` script (npm ci / npm install) and by `npm run build:plugin`.
 *
 * Every .ts under src/ is compiled (specs and test helpers excepted, see
 * tsconfig.lib.json); every other file under src/ (schemas, generator
 * templates) is copied beside it. dist/ is rebuilt from scratch in a staging
 * folder and swapped in, so a deleted source leaves no stale module behind and
 * a failed compile leaves the previous dist/ in place.
 */
const { spawnSync } = require('node:child_process');
const { cpSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const pluginRoot = __dirname;
const src = join(pluginRoot, 'src');
const dist = join(pluginRoot, 'dist');
const staging = join(pluginRoot, `dist.${process.pid}.tmp`);

function fail(message) {
  process.stderr.write(`build-plugin: ${message}\n`);
  process.exit(1);
}

const startedAt = new Date();
rmSync(staging, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(pluginRoot, 'tsconfig.lib.json'), '--outDir', staging], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  rmSync(staging, { recursive: true, force: true });
  fail(`tsc -p ${relative(process.cwd(), join(pluginRoot, 'tsconfig.lib.json'))} failed: fix the type errors above`);
}

const copyAssets = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, entry.name);
    if (entry.isDirectory()) copyAssets(from);
    else if (!entry.name.endsWith('.ts')) cpSync(from, join(staging, relative(src, from)));
  }
};
copyAssets(src);
if (!statSync(join(staging, 'index.js'), { throwIfNoEntry: false })) fail('tsc wrote no index.js');
// When the sources were compiled: the build executor refuses to run code older than its sources.
// Dated when the compile started: a source saved during the compile counts as newer.
const marker = join(staging, '.built-at');
writeFileSync(marker, `${startedAt.toISOString()}\n`);
utimesSync(marker, startedAt, startedAt);
rmSync(dist, { recursive: true, force: true });
renameSync(staging, dist);
