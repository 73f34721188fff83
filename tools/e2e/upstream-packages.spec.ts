import { execFileSync } from 'node:child_process';
import { realCli } from '@kubeflow-images/plugin-lib/engine/engine-cli';
import { diffPackages, PACKAGE_MANAGERS } from '@kubeflow-images/plugin-lib/inspect/packages';
import { updatePrBody } from '../upstream/lib/update-pr';
import { upstreamPackages } from '../upstream/lib/upstream-packages';
import type { UpdateSummary } from '../upstream/lib/upstream-update';
import { readE2eServices } from './support/e2e-services';
import { buildBusyboxImage, createPodmanMachine, type PodmanMachine } from './support/podman-fixtures';

/**
 * The package difference of an upstream update, on two real images that
 * stand in for the old and the new docker-stacks image: their dpkg and pip
 * contents differ, and the lists come from running them (docker) with the
 * listing `inspect` uses. Needs tools/scripts/e2e-services.sh start.
 */
jest.setTimeout(180_000);

let machine: PodmanMachine;
const suffix = Date.now().toString(36);
const OLD = `localhost/kf-upstream-old-${suffix}:fixture`;
const NEW = `localhost/kf-upstream-new-${suffix}:fixture`;

/** A dpkg-query and a python3 that answer like the real ones do for the listing (busybox has neither). */
function packageTools(dpkg: string[], pip: string[]): Record<string, string> {
  return {
    'dpkg-query': `#!/bin/sh\nprintf '${dpkg.map((line) => `${line.replace(' ', '\\t')}\\n`).join('')}'\n`,
    python3: [
      '#!/bin/sh',
      'case "$*" in',
      '  "-m pip --version") echo "pip 24.0 from /opt/conda/lib/python3.12/site-packages/pip (python 3.12)";;',
      `  "-m pip list"*) printf '${pip.map((line) => `${line.replace(' ', '==')}\\n`).join('')}';;`,
      '  *) exit 1;;',
      'esac',
      '',
    ].join('\n'),
  };
}

function upstreamImage(reference: string, dpkg: string[], pip: string[]): void {
  buildBusyboxImage(machine, reference, ['COPY dpkg-query python3 /usr/bin/'], packageTools(dpkg, pip));
  // podman cannot run containers on every machine; docker runs the listing.
  machine.podman(['push', '--quiet', reference, `docker-daemon:${reference}`]);
}

beforeAll(() => {
  machine = createPodmanMachine(readE2eServices());
  upstreamImage(OLD, ['curl 8.5.0-2ubuntu10.5', 'libssl3t64 3.0.13-0ubuntu3.4', 'tini 0.19.0-1'], ['jupyterlab 4.4.0', 'notebook 7.4.0', 'requests 2.32.3']);
  upstreamImage(NEW, ['curl 8.5.0-2ubuntu10.7', 'libssl3t64 3.0.13-0ubuntu3.4', 'zstd 1.5.5+dfsg2-2build1'], ['jupyterlab 4.4.2', 'requests 2.32.3', 'uv 0.9.0']);
}, 180_000);

afterAll(() => {
  for (const image of [OLD, NEW]) {
    try {
      execFileSync('docker', ['rmi', '--force', image], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  machine?.remove();
});

it('lists exactly the dpkg and pip packages added, removed and changed between the two upstream images', async () => {
  const lists = await upstreamPackages(realCli('docker'), OLD, NEW);
  const changes = Object.fromEntries(PACKAGE_MANAGERS.map((manager) => [manager, diffPackages(lists.old[manager], lists.new[manager])]));
  expect(changes).toEqual({
    dpkg: {
      added: [{ name: 'zstd', version: '1.5.5+dfsg2-2build1' }],
      removed: [{ name: 'tini', version: '0.19.0-1' }],
      changed: [{ name: 'curl', from: '8.5.0-2ubuntu10.5', to: '8.5.0-2ubuntu10.7' }],
    },
    pip: {
      added: [{ name: 'uv', version: '0.9.0' }],
      removed: [{ name: 'notebook', version: '7.4.0' }],
      changed: [{ name: 'jupyterlab', from: '4.4.0', to: '4.4.2' }],
    },
    conda: { added: [], removed: [], changed: [] },
    r: { added: [], removed: [], changed: [] },
  });

  const summary: UpdateSummary = {
    upstream: { moved: true, old: { commit: '0dd81e2dd718', reference: OLD, digest: null }, new: { commit: '5a9d6ed0e4b1', reference: NEW, digest: null } },
    rebuild: { old: '2026-12-01', new: null, reasons: [], pinsToBump: [] },
    gpuJupyter: { pinned: null, newer: [], line: 'gpu-jupyter: up to date' },
  };
  const section = updatePrBody({ summary, packages: lists, cves: null }).split('### Packages (old → new upstream image)\n\n')[1].split('\n\n')[0];
  expect(section.split('\n')).toEqual([
    '- **dpkg**: 1 added, 1 removed, 1 changed',
    '  - added `zstd` 1.5.5+dfsg2-2build1',
    '  - removed `tini` 0.19.0-1',
    '  - `curl` 8.5.0-2ubuntu10.5 → 8.5.0-2ubuntu10.7',
    '- **pip**: 1 added, 1 removed, 1 changed',
    '  - added `uv` 0.9.0',
    '  - removed `notebook` 7.4.0',
    '  - `jupyterlab` 4.4.0 → 4.4.2',
  ]);
});
