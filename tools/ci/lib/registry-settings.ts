import { optionalSetting, type BuildSettings } from '@kubeflow-images/plugin-lib/settings/build-settings';
import { CiError } from './ci-error';

export interface CiRegistry {
  /** The image prefix builds use (IMAGE_REGISTRY), with the namespace appended when one is asked for. */
  registry: string;
  /** The host to log in to (docker/login-action's `registry`). */
  host: string;
}

const NAMESPACE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/**
 * The registry the workflows log in to and push to, from build_settings.env
 * (the single place for it; IMAGE_REGISTRY in the environment overrides it).
 * A namespace puts a workflow's images in their own repositories
 * (`<registry>/<namespace>/<image>-<stream>`), as the nightly rebuild does.
 */
export function ciRegistry(settings: BuildSettings, options: { namespace?: string; required: boolean }): CiRegistry {
  const configured = optionalSetting(settings, 'IMAGE_REGISTRY').trim().replace(/\/+$/, '');
  if (!configured) {
    if (options.required) {
      throw new CiError(
        `${settings.file}: IMAGE_REGISTRY is empty, but this workflow pushes images: set IMAGE_REGISTRY=<your registry, e.g. myacr.azurecr.io> in ${settings.file}`,
      );
    }
    return { registry: '', host: '' };
  }
  const namespace = (options.namespace ?? '').replace(/^\/+|\/+$/g, '');
  if (namespace && !NAMESPACE.test(namespace)) {
    throw new CiError(`"${options.namespace}" is not a valid repository namespace: use lowercase letters, digits and . _ - separated by /`);
  }
  return {
    registry: namespace ? `${configured}/${namespace}` : configured,
    host: configured.split('/')[0],
  };
}
