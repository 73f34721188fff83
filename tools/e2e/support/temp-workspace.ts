import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runNx, type NxResult } from '../../ci/lib/nx-cli';
import { git as runGit } from '@kubeflow-images/plugin-lib/git/run-git';
import { readCompiledFrom, sourceDigests, sourcesChangedSinceCompile } from '@kubeflow-images/plugin-lib/plugin-build/compiled-plugin';

export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export const git = (cwd: string, ...args: string[]) => runGit(cwd, args);

/** How tests run Nx: no daemon, no cloud, no TUI, plain output. */
export const NX_TEST_ENV = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', FORCE_COLOR: '0' };

const PLUGIN_ROOT = join(WORKSPACE_ROOT, 'tools', 'nx-plugin');
const COMPILED_PLUGIN = join(WORKSPACE_ROOT, 'node_modules', '@kubeflow-images', 'nx-plugin');
let pluginChecked = false;

/**
 * Nx runs the workspace plugin compiled, installed in node_modules, which
 * every temp workspace links: compile it here when its sources changed
 * (checked once per test process).
 */
function ensureCompiledPlugin(): void {
  if (pluginChecked) return;
  if (sourcesChangedSinceCompile(readCompiledFrom(COMPILED_PLUGIN), sourceDigests(join(PLUGIN_ROOT, 'src'))).length > 0) {
    const build = spawnSync(process.execPath, [join(PLUGIN_ROOT, 'build-plugin.js')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`compiling the workspace plugin failed:\n${build.stdout}\n${build.stderr}`);
  }
  pluginChecked = true;
}

export type { NxResult };

/** Runs the workspace's real Nx CLI in `root` as tests do (see NX_TEST_ENV); never throws, so tests can assert on failures too. */
export function nxIn(root: string, args: string[], env: NodeJS.ProcessEnv = {}): NxResult {
  return runNx(root, args, { ...NX_TEST_ENV, ...env });
}

/** Fails the test with the end of Nx's output when the command failed. */
export function expectNxSuccess(result: { status: number | null; output: string }): void {
  if (result.status !== 0) throw new Error(`nx failed (exit ${result.status}):\n${result.output.slice(-6000)}`);
}

export interface TempWorkspace {
  root: string;
  nx(args: string[], env?: NodeJS.ProcessEnv): NxResult;
  /** Runs Nx and returns its output, failing the test when it fails. */
  nxOk(args: string[], env?: NodeJS.ProcessEnv): string;
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
  ensureCompiledPlugin();
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
  ensureCompiledPlugin();
  return workspaceAt(root);
}

function workspaceAt(root: string): TempWorkspace {
  git(root, 'config', 'user.email', 'tests@kubeflow-images.local');
  git(root, 'config', 'user.name', 'tests');
  return {
    root,
    nx: (args, env = {}) => nxIn(root, args, env),
    nxOk(args, env = {}) {
      const result = nxIn(root, args, env);
      expectNxSuccess(result);
      return result.output;
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
