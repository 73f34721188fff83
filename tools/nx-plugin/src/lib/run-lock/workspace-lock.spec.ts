import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lock } from 'proper-lockfile';
import { holdWorkspaceLock, lockPaths, ownedByThisRun, shownCommand, waitingLine, withWorkspaceLock, type LockOwner } from './workspace-lock';

const OTHER: LockOwner = { runPid: 4242, pid: 4243, host: hostname(), command: 'nx run-many -t build-cpu', since: '2026-12-05T22:50:01.000Z' };

describe('the lines and checks of the workspace lock', () => {
  it('shows the Nx command as typed, from its full command line', () => {
    expect(shownCommand(['/usr/bin/node', '/w/node_modules/.bin/nx', 'run-many', '-t', 'build-cpu'])).toBe('nx run-many -t build-cpu');
    expect(shownCommand(['/usr/bin/node', '/usr/bin/jest'])).toBe('');
  });

  it('names the other run in the one waiting line', () => {
    expect(waitingLine(OTHER)).toBe(
      'another run in this workspace (nx run-many -t build-cpu, pid 4242, since 2026-12-05T22:50:01.000Z) is writing the build records: waiting for it to finish',
    );
    expect(waitingLine(null)).toBe('another run in this workspace is writing the build records: waiting for it to finish');
  });

  it('lets the task processes of one Nx command share the lock, and no other', () => {
    expect(ownedByThisRun(OTHER, 4242)).toBe(true);
    expect(ownedByThisRun(OTHER, 1)).toBe(false);
    expect(ownedByThisRun({ ...OTHER, host: `${hostname()}-other` }, 4242)).toBe(false);
    expect(ownedByThisRun(null, 4242)).toBe(false);
  });
});

describe('holdWorkspaceLock', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kf-lock-'));
    mkdirSync(join(root, 'dist'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const context = (lines: string[] = []) => ({ runPid: process.ppid, command: 'nx run-many -t build-cpu', log: (line: string) => void lines.push(line) });

  it('holds the lock, says who holds it, and releases it when the last holder in the process is done', async () => {
    const lines: string[] = [];
    const outer = await holdWorkspaceLock(root, context(lines));
    const { lock: lockDir, owner } = lockPaths(root);
    expect(existsSync(lockDir)).toBe(true);
    expect(JSON.parse(readFileSync(owner, 'utf8'))).toMatchObject({ runPid: process.ppid, pid: process.pid, command: 'nx run-many -t build-cpu' });
    // Re-entrant: a heal inside a build, or the tasks of a batch, take it again without waiting.
    await withWorkspaceLock(root, context(lines), async () => expect(existsSync(lockDir)).toBe(true));
    expect(existsSync(lockDir)).toBe(true);
    await outer();
    expect(existsSync(lockDir)).toBe(false);
    expect(lines).toEqual([]);
  });

  it('waits for another run, saying so once, and goes on when it is done', async () => {
    const { owner } = lockPaths(root);
    const releaseOther = await lock(root, { realpath: false, lockfilePath: lockPaths(root).lock });
    writeFileSync(owner, JSON.stringify(OTHER));
    const lines: string[] = [];
    let ran = false;
    const waiting = withWorkspaceLock(root, context(lines), async () => void (ran = true));
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(ran).toBe(false);
    expect(lines).toEqual([waitingLine(OTHER)]);
    await releaseOther();
    await waiting;
    expect(ran).toBe(true);
    expect(lines).toHaveLength(1);
  });

  it('does not wait for a task process of its own run', async () => {
    const releaseSibling = await lock(root, { realpath: false, lockfilePath: lockPaths(root).lock });
    writeFileSync(lockPaths(root).owner, JSON.stringify({ ...OTHER, runPid: process.ppid }));
    const lines: string[] = [];
    expect(await withWorkspaceLock(root, context(lines), async () => 'built')).toBe('built');
    expect(lines).toEqual([]);
    await releaseSibling();
  });
});
