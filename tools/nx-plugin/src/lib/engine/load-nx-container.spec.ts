import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const workspaceRoot = join(__dirname, '../../../../..');

describe('loadNxContainerRun', () => {
  it("gives nx-container's build executor, the `run` its public entry exports", () => {
    const script = `
      const { loadNxContainerRun } = require(${JSON.stringify(join(__dirname, 'load-nx-container.ts'))});
      const run = loadNxContainerRun(process.cwd());
      console.log(JSON.stringify({ run: typeof run, same: run === require('@nx-tools/nx-container').run }));`;
    const out = execFileSync(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: workspaceRoot, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ run: 'function', same: true });
  });
});
