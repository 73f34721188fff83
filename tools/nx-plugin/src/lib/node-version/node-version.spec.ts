import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { assertSupportedNode, unsupportedNodeMessage, workspaceRootAbove } from './node-version';

describe('unsupportedNodeMessage', () => {
  it('accepts a Node inside the range, and any Node when there is no range', () => {
    expect(unsupportedNodeMessage('v24.22.3', '>=24')).toBeNull();
    expect(unsupportedNodeMessage('v26.1.0', '>=24')).toBeNull();
    expect(unsupportedNodeMessage('v20.20.2', undefined)).toBeNull();
  });

  it('names the range, where it is set, the running Node and the fix, in one line', () => {
    const message = unsupportedNodeMessage('v20.20.2', '>=24');
    expect(message).toContain('Node >=24 (package.json engines.node)');
    expect(message).toContain('this is Node v20.20.2');
    expect(message).toContain('.nvmrc');
    expect(message).toContain('tools/scripts/node-runtime.sh');
    expect(message).not.toContain('\n');
  });
});

describe('assertSupportedNode', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'node-version-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("reads the range from the workspace's package.json", () => {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ engines: { node: '>=24' } }));
    expect(() => assertSupportedNode(root, 'v20.20.2')).toThrow(BuildConfigurationError);
    expect(() => assertSupportedNode(root, 'v24.0.0')).not.toThrow();
  });
});

describe('workspaceRootAbove', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'workspace-root-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the folder with nx.json above an installed plugin, and null outside any workspace', () => {
    const installed = join(root, 'workspace', 'node_modules', '@scope', 'plugin', 'dist');
    mkdirSync(installed, { recursive: true });
    expect(workspaceRootAbove(installed)).toBeNull();
    writeFileSync(join(root, 'workspace', 'nx.json'), '{}');
    expect(workspaceRootAbove(installed)).toBe(join(root, 'workspace'));
  });
});
