import { classifyEngineFailure, engineFailureMessage, type FailureContext } from './classify-engine-failure';

/** Output podman 4.3 printed here for each failure (trimmed to the lines that matter). */
const PODMAN = {
  unreachable: [
    'Trying to pull localhost:5999/x/parent:1...',
    'time="2026-12-01T23:52:10Z" level=warning msg="Failed, retrying in 2s ... (1/3). Error: initializing source docker://localhost:5999/x/parent:1: pinging container registry localhost:5999: Get \\"https://localhost:5999/v2/\\": dial tcp 127.0.0.1:5999: connect: connection refused"',
    'Error: creating build container: initializing source docker://localhost:5999/x/parent:1: pinging container registry localhost:5999: Get "https://localhost:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused',
  ].join('\n'),
  noHost:
    'STEP 1/2: FROM no-such-host.invalid/x:1\nError: creating build container: initializing source docker://no-such-host.invalid/x:1: pinging container registry no-such-host.invalid: Get "https://no-such-host.invalid/v2/": dial tcp: lookup no-such-host.invalid on 10.255.255.53:53: no such host',
  unauthorized:
    'STEP 1/2: FROM localhost:5000/e2e/parent:1\nTrying to pull localhost:5000/e2e/parent:1...\nError: creating build container: initializing source docker://localhost:5000/e2e/parent:1: reading manifest 1 in localhost:5000/e2e/parent: unauthorized: authentication required',
  notFound:
    'STEP 1/2: FROM localhost:5000/e2e/parent:1\nTrying to pull localhost:5000/e2e/parent:1...\nError: creating build container: initializing source docker://localhost:5000/e2e/parent:1: reading manifest 1 in localhost:5000/e2e/parent: manifest unknown: manifest unknown',
  run: [
    'STEP 1/3: FROM localhost:5000/e2e/parent:1',
    'STEP 2/3: COPY Dockerfile /x',
    'STEP 3/3: RUN false',
    'error running container: from /usr/bin/runc creating container for [/bin/sh -c false]: exit status 1',
    'time="2026-12-01T23:52:22Z" level=error msg="did not get container create message from subprocess: EOF"',
    'Error: building at STEP "RUN false": while running runtime: exit status 1',
  ].join('\n'),
  copy: 'STEP 2/2: COPY missing.txt /x\nError: building at STEP "COPY missing.txt /x": checking on sources under "/tmp/ctx": copier: stat: "/missing.txt": no such file or directory',
};

/** docker buildx (not runnable here; its documented output shape). */
const BUILDX_STEP = [
  ' > [3/3] RUN   false:',
  '------',
  'Dockerfile:4',
  '--------------------',
  '   3 |     COPY Dockerfile /x',
  '   4 | >>> RUN \\',
  '   5 | >>>   false',
  '--------------------',
  'ERROR: failed to solve: process "/bin/sh -c false" did not complete successfully: exit code: 1',
].join('\n');
const BUILDX_PULL =
  'ERROR: failed to solve: localhost:5999/x/parent:1: failed to resolve source metadata for localhost:5999/x/parent:1: failed to do request: Head "https://localhost:5999/v2/x/parent/manifests/1": dial tcp 127.0.0.1:5999: connect: connection refused';

const DOCKERFILE = 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nCOPY Dockerfile /x\nRUN \\\n  false\n';
const CONTEXT: FailureContext = { task: 'minimal:build-cpu', engine: 'podman', parent: 'localhost:5000/e2e/parent:1', dockerfile: 'images/minimal/Dockerfile' };
const message = (output: string, exitCode?: number) => engineFailureMessage(classifyEngineFailure(output, exitCode, DOCKERFILE), CONTEXT);

describe('classifyEngineFailure', () => {
  it('names the parent and registry when the registry is not reachable', () => {
    expect(classifyEngineFailure(PODMAN.unreachable, 125)).toMatchObject({ kind: 'pull', cause: 'unreachable', reference: 'localhost:5999/x/parent:1' });
    expect(classifyEngineFailure(PODMAN.noHost, 125)).toMatchObject({ kind: 'pull', cause: 'unreachable', reference: 'no-such-host.invalid/x:1' });
    expect(classifyEngineFailure(BUILDX_PULL, 1)).toMatchObject({ kind: 'pull', cause: 'unreachable', reference: 'localhost:5999/x/parent:1' });
    expect(message(PODMAN.unreachable, 125)).toMatch(/^minimal:build-cpu: podman cannot pull localhost:5999\/x\/parent:1: registry localhost:5999 is not reachable \(.*connection refused\): start it or fix its address/);
  });

  it('tells an unauthorized pull from a missing image', () => {
    expect(message(PODMAN.unauthorized, 125)).toMatch(
      /^minimal:build-cpu: podman cannot pull the parent localhost:5000\/e2e\/parent:1: registry localhost:5000 refused access \(.*authentication required\): run `podman login localhost:5000`/,
    );
    expect(message(PODMAN.notFound, 125)).toMatch(
      /^minimal:build-cpu: podman cannot pull the parent localhost:5000\/e2e\/parent:1: registry localhost:5000 has no such image \(.*manifest unknown\): build and push the parent first/,
    );
  });

  it('names the failing step and its Dockerfile line', () => {
    expect(classifyEngineFailure(PODMAN.run, 1, DOCKERFILE)).toEqual({ kind: 'step', step: 'RUN false', line: 4, detail: 'while running runtime: exit status 1' });
    expect(message(PODMAN.copy, 125)).toMatch(/^minimal:build-cpu: step "COPY missing.txt \/x" of images\/minimal\/Dockerfile failed \(checking on sources/);
    expect(classifyEngineFailure(BUILDX_STEP, 1, DOCKERFILE)).toMatchObject({ kind: 'step', step: 'RUN false', line: 4 });
    expect(message(PODMAN.run, 1)).toBe(
      'minimal:build-cpu: step "RUN false" of images/minimal/Dockerfile:4 failed (while running runtime: exit status 1): fix that instruction (the engine\'s output above shows why) and rerun',
    );
  });

  it('recognises a full disk before anything else', () => {
    const output = `${PODMAN.run.split('\n').slice(0, 3).join('\n')}\nError: committing container for step {Env:[] Command:run}: write /var/lib/containers/storage/x: no space left on device`;
    expect(message(output, 125)).toMatch(/^minimal:build-cpu: podman ran out of disk space \(.*no space left on device\): free space/);
  });

  it('recognises a killed build by its exit code or output', () => {
    expect(message('STEP 3/3: RUN pip install torch', 137)).toMatch(/^minimal:build-cpu: the podman build was killed \(exit code 137; usually out of memory/);
    expect(classifyEngineFailure('RUN make\nsignal: killed', 1)).toMatchObject({ kind: 'killed' });
    expect(classifyEngineFailure('STEP 3/3: RUN pip install torch\nError: building at STEP "RUN pip install torch": while running runtime: exit status 137', 1)).toMatchObject({ kind: 'killed' });
  });

  it('does not take a step that prints "Killed" for a killed build', () => {
    expect(classifyEngineFailure('STEP 2/2: RUN ./test.sh\nKilled 3 stray workers\nError: building at STEP "RUN ./test.sh": while running runtime: exit status 1', 1)).toMatchObject({ kind: 'step' });
  });

  it('falls back to the last line when nothing is recognised', () => {
    expect(message('something odd happened', 2)).toBe(
      'minimal:build-cpu failed in podman (something odd happened): see the engine output above; fix images/minimal/Dockerfile or its context and rerun',
    );
    expect(message('', 3)).toContain('(exit code 3)');
  });
});
