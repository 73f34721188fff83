import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { satisfies } from 'semver';
import { BuildConfigurationError } from '../errors';

/**
 * The one line for a Node that the workspace's `engines.node` range excludes,
 * or null when it is supported (or the workspace names no range).
 */
export function unsupportedNodeMessage(nodeVersion: string, range: string | undefined): string | null {
  if (!range || satisfies(nodeVersion, range)) return null;
  return (
    `this workspace needs Node ${range} (package.json engines.node) and this is Node ${nodeVersion}: ` +
    `install it (nvm install reads .nvmrc; on Linux x64, export PATH="$(bash tools/scripts/node-runtime.sh):$PATH"), then run npm ci`
  );
}

/** Stops an Nx command that runs on a Node the workspace does not support, before any of its work. */
export function assertSupportedNode(workspaceRoot: string, nodeVersion: string = process.version): void {
  const { engines } = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  const message = unsupportedNodeMessage(nodeVersion, engines?.node);
  if (message) throw new BuildConfigurationError(message);
}

/**
 * The nearest folder at or above `dir` that holds nx.json: the workspace this
 * plugin is installed in. Found by hand because loading @nx/devkit for its
 * workspaceRoot would make every Nx command start slower.
 */
export function workspaceRootAbove(dir: string): string | null {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'nx.json'))) return current;
    if (dirname(current) === current) return null;
  }
}
