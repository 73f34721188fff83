/**
 * The engine the e2e suites build with: podman on the development machines
 * (docker buildx cannot be installed there), docker (with buildx) on GitHub's
 * runners, chosen with E2E_ENGINE. Fixture workspaces write it as their
 * IMAGE_ENGINE, so the same suites drive nx-container's docker engine there.
 */
export type E2eEngine = 'podman' | 'docker';

export function e2eEngine(env: NodeJS.ProcessEnv = process.env): E2eEngine {
  const value = (env.E2E_ENGINE ?? '').trim();
  if (value === '') return 'podman';
  if (value === 'podman' || value === 'docker') return value;
  throw new Error(`E2E_ENGINE=${value}: use podman (default) or docker (needs docker buildx)`);
}
