import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { docker } from './notebook-fixtures';

/**
 * A small Debian as a docker image, for suites that run the images' own
 * scripts and checks with real bash, python3, R and curl where the production
 * bases cannot be pulled. mmdebstrap unpacks it from Debian's archive (no
 * maintainer scripts run); it is made once per package list, kept as a
 * tarball in the e2e state dir and as an image, so the suites share it.
 */
const SUITE = 'bookworm';
const PACKAGES = ['bash', 'coreutils', 'sed', 'curl', 'python3-minimal', 'libpython3.11-stdlib', 'r-base-core'];

export function debianRootImage(stateDir: string): string {
  const key = createHash('sha256').update(JSON.stringify({ SUITE, PACKAGES })).digest('hex').slice(0, 12);
  const reference = `kf-e2e/debian-root:${key}`;
  if (spawnSync('docker', ['image', 'inspect', reference], { stdio: 'ignore' }).status === 0) return reference;
  const dir = join(stateDir, 'debian-root');
  const tarball = join(dir, `${SUITE}-${key}.tar`);
  if (!existsSync(tarball)) {
    if (spawnSync('mmdebstrap', ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error('mmdebstrap is not installed: run `bash tools/scripts/e2e-services.sh install` (it installs mmdebstrap)');
    }
    mkdirSync(dir, { recursive: true });
    const partial = `${tarball}.${process.pid}.partial`;
    const made = spawnSync('mmdebstrap', ['--variant=extract', `--include=${PACKAGES.join(',')}`, '--format=tar', SUITE, partial], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (made.status !== 0) {
      rmSync(partial, { force: true });
      throw new Error(`mmdebstrap could not make the Debian root (is Debian's archive reachable?):\n${made.stderr.slice(-2000)}`);
    }
    renameSync(partial, tarball);
  }
  docker(['import', tarball, reference]);
  return reference;
}

/**
 * Dockerfile lines that do what the unpacked packages' maintainer scripts
 * would have done: R's BLAS/LAPACK alternatives and /etc/R/Renviron; and
 * `python`, the name the images' checks call python by.
 */
export const DEBIAN_ROOT_SETUP = `RUN ln -s blas/libblas.so.3 /usr/lib/x86_64-linux-gnu/libblas.so.3 && \\
    ln -s lapack/liblapack.so.3 /usr/lib/x86_64-linux-gnu/liblapack.so.3 && \\
    cp /usr/lib/R/etc/Renviron.ucf /etc/R/Renviron && \\
    ln -s python3 /usr/bin/python`;
