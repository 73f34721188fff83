import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export interface TempWorkspace {
  root: string;
  /** Runs the real Nx CLI in the copy; never throws, so tests can assert on failures too. */
  nx(args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  write(path: string, content: string): void;
  commit(message: string): string;
  remove(): void;
}

/**
 * A real git repository holding the workspace as it is now (tracked and new
 * files, not ignored ones), with one commit, its own Nx cache and the
 * workspace's node_modules linked in.
 */
export function createTempWorkspace(prefix = 'kf-images-'): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const files = git(WORKSPACE_ROOT, 'ls-files', '--cached', '--others', '--exclude-standard', '-z').split('\0').filter(Boolean);
  for (const file of files) {
    const target = join(root, file);
    mkdirSync(dirname(target), { recursive: true });
    try {
      cpSync(join(WORKSPACE_ROOT, file), target, { preserveTimestamps: true });
    } catch {
      // A file deleted in the working tree but still in the index is not part of the workspace.
    }
  }
  symlinkSync(join(WORKSPACE_ROOT, 'node_modules'), join(root, 'node_modules'));
  git(root, 'init', '-q', '-b', 'main');
  const workspace = workspaceAt(root);
  workspace.commit('workspace as under test');
  return workspace;
}

/** A fresh `git clone` of another temp workspace: what a new CI runner checks out. */
export function cloneTempWorkspace(source: TempWorkspace, prefix = 'kf-clone-'): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), prefix));
  git(tmpdir(), 'clone', '-q', source.root, root);
  symlinkSync(join(WORKSPACE_ROOT, 'node_modules'), join(root, 'node_modules'));
  return workspaceAt(root);
}

function workspaceAt(root: string): TempWorkspace {
  git(root, 'config', 'user.email', 'tests@kubeflow-images.local');
  git(root, 'config', 'user.name', 'tests');
  return {
    root,
    nx(args, env = {}) {
      return spawnSync(join(WORKSPACE_ROOT, 'node_modules', '.bin', 'nx'), args, {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', FORCE_COLOR: '0', ...env },
        maxBuffer: 64 * 1024 * 1024,
      });
    },
    write(path, content) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    },
    commit(message) {
      git(root, 'add', '-A');
      git(root, 'commit', '-q', '--no-verify', '-m', message);
      return git(root, 'rev-parse', 'HEAD');
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
