import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const WORKSPACE = join(__dirname, '..', '..');

/**
 * The repository speaks of itself only: code, comments and docs name no
 * tracker numbers and point to no document outside the repository.
 */
describe('the repository', () => {
  it('cites no issue numbers and points to no design notes outside it', () => {
    const pattern = ['issue [0-9]+', 'DESIGN\\.md', ['shared', ''].join('/')].join('|');
    const grep = spawnSync('git', ['grep', '-nE', pattern, '--', 'tools', 'images', 'README.md', '.ci'], { cwd: WORKSPACE, encoding: 'utf8' });
    expect(grep.status === 0 || grep.status === 1).toBe(true); // 1: nothing found
    expect(grep.stdout.split('\n').filter(Boolean)).toEqual([]);
  });
});
