import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import type { E2eServices } from './e2e-services';
import type { PodmanMachine } from './podman-fixtures';

/** Reads the registry through its HTTP API with the same login the engine uses. */
export function registryClientFor(machine: PodmanMachine): RegistryClient {
  return new RegistryClient({ authFiles: [machine.env.REGISTRY_AUTH_FILE!] });
}

/**
 * Deletes every manifest of `registry/repository` (the registry then answers
 * 404 for all its tags), as a registry clean-up or retention policy would.
 * Only for repositories the test created.
 */
export async function deleteRepositoryManifests(machine: PodmanMachine, services: E2eServices, repositoryName: string): Promise<number> {
  const client = registryClientFor(machine);
  const digests = new Set<string>();
  for (const tag of await client.listTags(repositoryName)) {
    const digest = await client.manifestDigest(`${repositoryName}:${tag}`);
    if (digest) digests.add(digest);
  }
  const repository = repositoryName.slice(services.registry.length + 1);
  const auth = Buffer.from(`${services.user}:${services.password}`).toString('base64');
  for (const digest of digests) {
    const response = await fetch(`http://${services.registry}/v2/${repository}/manifests/${digest}`, { method: 'DELETE', headers: { Authorization: `Basic ${auth}` } });
    if (response.status !== 202) throw new Error(`DELETE ${repositoryName}@${digest}: HTTP ${response.status}`);
  }
  return digests.size;
}
