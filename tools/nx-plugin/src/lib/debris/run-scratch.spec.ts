import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A build process in miniature: a Node process that made its scratch folder
 * (engine docker, no build under way, so no engine is asked anything) and has
 * work to do until its stdin ends.
 */
function startBuildProcess(scratchBase: string) {
  const script = [
    `const { processScratchDir } = require(${JSON.stringify(require.resolve('./run-scratch'))});`,
    `console.log(processScratchDir(${JSON.stringify(scratchBase)}, 'docker'));`,
    'process.stdin.resume().on("end", () => process.stdin.destroy());',
  ].join('\n');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', '-e', script], { env: { ...process.env, TMPDIR: scratchBase }, stdio: ['pipe', 'pipe', 'inherit'] });
  started.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const scratchDir = new Promise<string>((resolve) => child.stdout.setEncoding('utf8').once('data', (line: string) => resolve(line.trim())));
  return { pid: child.pid!, exited, scratchDir, finishWork: () => child.stdin.end() };
}

const started: ChildProcess[] = [];

/** The one child of a build process: its canary. */
function canaryOf(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  expect(children.map((child) => readFileSync(`/proc/${child}/comm`, 'utf8').trim())).toEqual(['cat']);
  return children[0];
}

/** Whether `pid` still runs (an ended process not yet reaped is a zombie: ended). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(ready: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (ready()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return ready();
}

describe('the stop canary of a build process', () => {
  let base: string;
  beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'run-scratch-spec-'))));
  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(base, { recursive: true, force: true });
  });

  it('a SIGTERM to the canary alone (the leaf Nx signals first) stops the build process: its temp folder goes and it exits 143', async () => {
    const build = startBuildProcess(base);
    const dir = await build.scratchDir;
    expect(existsSync(dir)).toBe(true);
    process.kill(canaryOf(build.pid), 'SIGTERM');
    expect(await build.exited).toEqual({ code: 143, signal: null });
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps no build process alive, and ends when it does', async () => {
    const build = startBuildProcess(base);
    const dir = await build.scratchDir;
    const canary = canaryOf(build.pid);
    build.finishWork();
    expect(await build.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(dir)).toBe(false);
    expect(await until(() => !running(canary))).toBe(true);
  });
});
