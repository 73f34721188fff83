/**
 * `npm run pins [-- KEY...]`: refreshes upstream-lock.json from the registries.
 * Each upstream it can reach is set to the digest its tag points at now; each
 * it cannot is named with the reason and left as it was. The lock is rewritten
 * only when something changed. Exit 0 only when every upstream was refreshed.
 */
import { join } from 'node:path';
import { generatorCudaReference } from '@kubeflow-images/plugin-lib/gpu-upstream/cuda-base';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { loadBuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { readUpstreamLock, writeUpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/lock-file';
import { refreshUpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/refresh';
import { CPU_UPSTREAM_KEY, CUDA_UPSTREAM_KEY, formatRefreshTable, UPSTREAM_LOCK_FILE } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';
import { upstreamTargets } from './upstream-targets';

const WORKSPACE_ROOT = join(__dirname, '..', '..');

async function main(keys: string[]): Promise<number> {
  const settings = loadBuildSettings(WORKSPACE_ROOT);
  const lock = readUpstreamLock(WORKSPACE_ROOT);
  const targets = upstreamTargets(keys, {
    [CPU_UPSTREAM_KEY]: () => settings.values[CPU_UPSTREAM_KEY],
    [CUDA_UPSTREAM_KEY]: () => generatorCudaReference({ workspaceRoot: WORKSPACE_ROOT, settings, workDir: join(WORKSPACE_ROOT, 'tmp', 'gpu-upstream') }),
  }, lock);
  const registry = new RegistryClient({ timeoutMs: 20_000 });
  const outcome = await refreshUpstreamLock(lock, targets, (reference) => registry.manifestDigest(reference));
  console.log(formatRefreshTable(outcome.rows));
  if (outcome.changed) writeUpstreamLock(WORKSPACE_ROOT, outcome.lock);
  console.log(outcome.changed ? `wrote ${UPSTREAM_LOCK_FILE}: commit it; every image below a changed upstream is rebuilt` : `${UPSTREAM_LOCK_FILE} unchanged`);
  for (const row of outcome.rows.filter((r) => r.status === 'failed')) {
    console.error(`pins: ${row.key} (${row.reference}) not refreshed: ${row.reason}; its entry in ${UPSTREAM_LOCK_FILE} is left as it was`);
  }
  return outcome.allRefreshed ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`pins: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
