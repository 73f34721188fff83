import type { Cli } from '@kubeflow-images/plugin-lib/engine/engine-cli';
import { hasImage } from '@kubeflow-images/plugin-lib/engine/local-images';
import { listPackages } from '@kubeflow-images/plugin-lib/inspect/engine-image';
import type { PackageLists } from '@kubeflow-images/plugin-lib/inspect/packages';
import { BuildConfigurationError } from '@kubeflow-images/plugin-lib/errors';

/**
 * The packages of the old and the new upstream image, as `inspect` lists
 * them (dpkg, conda, pip, R; one `docker run` each). An image docker does not
 * have yet is pulled first.
 */
export async function upstreamPackages(docker: Cli, oldImage: string, newImage: string): Promise<{ old: PackageLists; new: PackageLists }> {
  const lists: PackageLists[] = [];
  for (const [which, image] of [['old', oldImage], ['new', newImage]] as const) {
    if (!(await hasImage(docker, image))) {
      const pulled = await docker.run(['pull', '--quiet', image], { timeoutMs: 60 * 60_000 });
      if (pulled.code !== 0) throw new BuildConfigurationError(`cannot pull the ${which} upstream image ${image} with docker: ${pulled.stderr.trim().split('\n')[0]}`);
    }
    lists.push(await listPackages(docker, image, `kf-upstream-packages-${process.pid}-${which}`));
  }
  return { old: lists[0], new: lists[1] };
}
