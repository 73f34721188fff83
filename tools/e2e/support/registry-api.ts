import { RegistryClient } from '../../nx-plugin/src/lib/registry/registry-client';
import type { PodmanMachine } from './podman-fixtures';

/** Reads the registry through its HTTP API with the same login the engine uses. */
export function registryClientFor(machine: PodmanMachine): RegistryClient {
  return new RegistryClient({ authFiles: [machine.env.REGISTRY_AUTH_FILE!] });
}
