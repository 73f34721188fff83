import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

/** The engines and registry started by tools/scripts/e2e-services.sh. */
export interface E2eServices {
  registry: string;
  user: string;
  password: string;
  accessLog: string;
  stateDir: string;
}

/**
 * Fails, never skips, when the services are not running: the suite claims to
 * build real images, so without an engine it has nothing to say.
 */
export function readE2eServices(): E2eServices {
  const stateDir = process.env.E2E_STATE_DIR ?? '/tmp/kf-e2e';
  const file = join(stateDir, 'services.env');
  if (!existsSync(file)) {
    throw new Error(`${file} not found: run \`bash tools/scripts/e2e-services.sh install && bash tools/scripts/e2e-services.sh start\` first`);
  }
  const env = parse(readFileSync(file, 'utf8'));
  return {
    registry: env.E2E_REGISTRY,
    user: env.E2E_REGISTRY_USER,
    password: env.E2E_REGISTRY_PASSWORD,
    accessLog: env.E2E_REGISTRY_LOG,
    stateDir: env.E2E_STATE_DIR ?? stateDir,
  };
}
