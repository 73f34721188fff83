/**
 * Tells a workflow which registry to log in to and push to, from
 * build_settings.env (the single place for it), so no workflow restates it.
 *
 *   node -r @swc-node/register tools/ci/registry-settings.ts [--required] [--namespace nightly/123]
 *
 * Outputs: `registry` (the IMAGE_REGISTRY prefix builds use, with the
 * namespace) and `host` (what to log in to); both empty when no registry is
 * configured, which --required turns into an error.
 */
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@nx/devkit';
import { loadBuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { runCli } from './lib/ci-error';
import { writeStepOutputs } from './lib/github-output';
import { ciRegistry } from './lib/registry-settings';

runCli('registry-settings', () => {
  const { values } = parseArgs({ options: { required: { type: 'boolean', default: false }, namespace: { type: 'string' } } });
  const { registry, host } = ciRegistry(loadBuildSettings(workspaceRoot), { namespace: values.namespace, required: values.required ?? false });
  console.error(registry ? `registry: ${registry} (log in to ${host})` : 'registry: none configured (local builds only)');
  writeStepOutputs({ registry, host });
});
