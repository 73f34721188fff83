import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';
import { UPSTREAM_LOCK_FILE, type RefreshTarget, type UpstreamLock } from '@kubeflow-images/plugin-lib/upstream-lock/upstream-lock';

/**
 * Which upstreams to refresh and the name:tag each stands for now. A
 * reference that cannot be learnt (e.g. gpu-jupyter cannot be fetched) makes
 * a target that is reported, not fatal: the others are still refreshed.
 */
export function upstreamTargets(
  keys: string[],
  references: Record<string, () => string>,
  lock: UpstreamLock,
): Array<RefreshTarget & { unavailable?: string }> {
  const unknown = keys.filter((key) => !(key in references));
  if (unknown.length > 0) {
    throw new BuildConfigurationError(`unknown upstream ${unknown.join(', ')}: name one of ${Object.keys(references).join(', ')}, or none for all`);
  }
  return (keys.length > 0 ? keys : Object.keys(references)).map((key) => {
    try {
      return { key, reference: references[key]() };
    } catch (error) {
      const reference = lock.upstreams[key]?.reference ?? `(not in ${UPSTREAM_LOCK_FILE})`;
      return { key, reference, unavailable: `cannot tell which image it is: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
    }
  });
}
