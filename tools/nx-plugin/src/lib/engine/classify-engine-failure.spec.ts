import { classifyEngineFailure, engineFailureMessage, type FailureContext, type FailureFacts } from './classify-engine-failure';

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

/** podman 4.3 pushing through a proxy that fails the registry's answers (captured here; blob lists trimmed). */
const PODMAN_PUSH = {
  manifest500: [
    'Copying config sha256:b4ba478db445910557b5198d568185d7ccde2ba56defefe11114e7812638d71a',
    'Writing manifest to image destination',
    'Error: writing manifest: uploading manifest 1 to 127.0.0.1:45071/fm-capture/img: received unexpected HTTP status: 500 Internal Server Error',
  ].join('\n'),
  cutMidUpload: [
    'Copying blob sha256:cf92fba06daf31ed7d9cf06f4dbc8e5b83b924458b2423bdbbb4dcd9d43bb9a6',
    'Error: writing blob: Patch "http://127.0.0.1:45071/v2/fm-capture/img/blobs/uploads/d0364c67-2934-4ee8-bff0-0db43b827a03?_state=sLqqzkqPFiXNM5PI2IA0yExYyIu0EXyxQpG-Qpsni4l7Ik5hbWUiOiJmbS1jYXB0dXJlL2ltZyIsIlVVSUQiOiJkMDM2NGM2Ny0yOTM0LTRlZTgtYmZmMC0wZGI0M2I4MjdhMDMiLCJPZmZzZXQiOjAsIlN0YXJ0ZWRBdCI6IjIwMjYtMTItMDVUMjI6MzQ6MjEuNDQ4MDM2NDA4WiJ9": write tcp 127.0.0.1:37556->127.0.0.1:45071: write: broken pipe',
  ].join('\n'),
  throttled: [
    'Copying blob sha256:0b070c6f20b4d691de472c54aaa4e0c432f353ee04aa8bfd8083a4a65258941b',
    'Error: trying to reuse blob sha256:9e5fba51385c2d3ccfaef8dc8d564dcc3efe1663bfa49c10fa191b1440c69ed6 at destination: failed to read from destination repository fm-capture/img: 429 (Too Many Requests)',
  ].join('\n'),
  registryDown: [
    'time="2026-12-05T22:34:35Z" level=warning msg="Failed, retrying in 1s ... (3/3). Error: trying to reuse blob sha256:5fe73fa837b02103b04c8493918c694d978941d0b3b5af5cf408173e34a02fdb at destination: pinging container registry 127.0.0.1:1: Get \\"https://127.0.0.1:1/v2/\\": dial tcp 127.0.0.1:1: connect: connection refused"',
    'Error: trying to reuse blob sha256:5fe73fa837b02103b04c8493918c694d978941d0b3b5af5cf408173e34a02fdb at destination: pinging container registry 127.0.0.1:1: Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
  ].join('\n'),
  /** TMPDIR on a 200 KiB tmpfs. */
  tmpdirFull:
    'Copying blob sha256:2110065e044d04b0b72a98c929e4331ed0415fe0c56269b374c24887cd557f8c\nError: reading blob sha256:5fe73fa837b02103b04c8493918c694d978941d0b3b5af5cf408173e34a02fdb: write /tmp/fm/smalltmp/2416719443: no space left on device',
};

/** podman 4.3 building with TMPDIR on a 200 KiB tmpfs: it never says "no space", the pipe it stores the layer through breaks. */
const PODMAN_BUILD_TMPDIR_FULL = [
  'STEP 2/3: RUN head -c 500000 /dev/urandom > /x',
  'time="2026-12-05T22:35:02Z" level=error msg="Can\'t add file /tmp/kf-podman-FAVMsm/storage/overlay/43109c6f3f7d2e292008104dfb5d6e3059638c07f14f8f413bd57beb9ac229a2/diff/x to tar: io: read/write on closed pipe"',
  'time="2026-12-05T22:35:02Z" level=error msg="Can\'t close tar writer: io: read/write on closed pipe"',
  'Error: committing container for step {Env:[PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin] Command:run Args:[head -c 500000 /dev/urandom > /x] Flags:[] Attrs:map[] Message:RUN head -c 500000 /dev/urandom > /x Original:RUN head -c 500000 /dev/urandom > /x}: copying layers and metadata for container "aacd3d1712f5606b6ee9e5b1f609b11551f6a79effea79c0ccb1a63a97d784fc": initializing source containers-storage:localhost-working-container: storing layer "43109c6f3f7d2e292008104dfb5d6e3059638c07f14f8f413bd57beb9ac229a2" to file: io: read/write on closed pipe',
].join('\n');

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
const BUILDX_PUSH_500 =
  'ERROR: failed to solve: failed to push localhost:5000/x/minimal:1: unexpected status from PUT request to https://localhost:5000/v2/x/minimal/manifests/1: 500 Internal Server Error';
const BUILDX_PULL =
  'ERROR: failed to solve: localhost:5999/x/parent:1: failed to resolve source metadata for localhost:5999/x/parent:1: failed to do request: Head "https://localhost:5999/v2/x/parent/manifests/1": dial tcp 127.0.0.1:5999: connect: connection refused';

const DOCKERFILE = 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nCOPY Dockerfile /x\nRUN \\\n  false\n';
const CONTEXT: FailureContext = {
  task: 'minimal:build-cpu',
  engine: 'podman',
  parent: 'localhost:5000/e2e/parent:1',
  dockerfile: 'images/minimal/Dockerfile',
  image: '127.0.0.1:45071/fm-capture/img:1',
};
const FACTS: FailureFacts = { tmpDir: '/tmp/fm/smalltmp' };
const message = (output: string, exitCode?: number, facts = FACTS) => engineFailureMessage(classifyEngineFailure(output, exitCode, DOCKERFILE, facts), CONTEXT);

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

  it('recognises a full disk before anything else, and says whether it is TMPDIR or the engine storage', () => {
    const output = `${PODMAN.run.split('\n').slice(0, 3).join('\n')}\nError: committing container for step {Env:[] Command:run}: write /var/lib/containers/storage/x: no space left on device`;
    expect(message(output, 125)).toBe(
      'minimal:build-cpu: podman ran out of disk space in its storage (/var/lib/containers/storage/x) (write /var/lib/containers/storage/x: no space left on device): free space (`podman system prune`) or move the engine\'s storage to a larger disk, then rerun',
    );
    expect(message(PODMAN_PUSH.tmpdirFull, 125)).toBe(
      'minimal:build-cpu: podman ran out of disk space in TMPDIR (/tmp/fm/smalltmp/2416719443) (write /tmp/fm/smalltmp/2416719443: no space left on device): free space there or point TMPDIR at a larger disk (podman keeps image layers there while it builds and pushes), then rerun',
    );
  });

  it('takes the layer pipe podman breaks when TMPDIR fills for a full TMPDIR', () => {
    expect(classifyEngineFailure(PODMAN_BUILD_TMPDIR_FULL, 125, DOCKERFILE, FACTS)).toEqual({
      kind: 'no-space',
      where: 'tmpdir',
      path: '/tmp/fm/smalltmp',
      detail: 'storing layer "43109c6f3f7d2e292008104dfb5d6e3059638c07f14f8f413bd57beb9ac229a2" to file: io: read/write on closed pipe',
    });
    expect(message(PODMAN_BUILD_TMPDIR_FULL, 125)).toMatch(/^minimal:build-cpu: podman ran out of disk space in TMPDIR \(\/tmp\/fm\/smalltmp\) \(storing layer/);
  });

  it('names the registry and keeps the whole cause when a push loses its connection', () => {
    expect(classifyEngineFailure(PODMAN_PUSH.cutMidUpload, 125)).toMatchObject({ kind: 'unreachable', registry: '127.0.0.1:45071' });
    expect(message(PODMAN_PUSH.cutMidUpload, 125)).toBe(
      'minimal:build-cpu: podman lost the connection to registry 127.0.0.1:45071 while pushing 127.0.0.1:45071/fm-capture/img:1 (writing blob: Patch "http://127.0.0.1:45071/v2/fm-capture/img/blobs/uploads/d0364c67-2934-4ee8-bff0-0db43b827a03": write tcp 127.0.0.1:37556->127.0.0.1:45071: write: broken pipe): check that the registry is up and reachable (IMAGE_REGISTRY, the network, a proxy), then rerun',
    );
    // The same cut, seen by podman from the other side of its write.
    const closed =
      'Error: writing blob: Patch "http://127.0.0.1:33359/v2/faults/base-notebook-cpu/blobs/uploads/1808e9e0-5d7f-4435-bd2f-7e6730802768?_state=x": write tcp 127.0.0.1:59896->127.0.0.1:33359: use of closed network connection';
    expect(classifyEngineFailure(closed, 125)).toMatchObject({ kind: 'unreachable', registry: '127.0.0.1:33359' });
    expect(message(PODMAN_PUSH.registryDown, 125)).toMatch(/^minimal:build-cpu: podman lost the connection to registry 127\.0\.0\.1:1 while pushing .*connect: connection refused\): check that the registry is up/);
  });

  it('names the HTTP status of a registry error, whole', () => {
    expect(classifyEngineFailure(PODMAN_PUSH.manifest500, 125)).toMatchObject({ kind: 'registry-error', registry: '127.0.0.1:45071', status: 500 });
    expect(message(PODMAN_PUSH.manifest500, 125)).toBe(
      'minimal:build-cpu: registry 127.0.0.1:45071 answered HTTP 500 while podman pushed 127.0.0.1:45071/fm-capture/img:1 (writing manifest: uploading manifest 1 to 127.0.0.1:45071/fm-capture/img: received unexpected HTTP status: 500 Internal Server Error): the registry failed: check its health and storage, then rerun',
    );
    expect(classifyEngineFailure(`podman failed with: ${PODMAN_PUSH.manifest500.split('\n').pop()}`, 1)).toMatchObject({ kind: 'registry-error', status: 500 });
    expect(classifyEngineFailure(BUILDX_PUSH_500, 1)).toMatchObject({ kind: 'registry-error', registry: 'localhost:5000', status: 500 });
  });

  it('tells a throttled push, naming the registry of the pushed image when the engine does not', () => {
    expect(classifyEngineFailure(PODMAN_PUSH.throttled, 125)).toMatchObject({ kind: 'throttled', registry: null });
    expect(message(PODMAN_PUSH.throttled, 125)).toMatch(/^minimal:build-cpu: registry 127\.0\.0\.1:45071 throttled podman's push of 127\.0\.0\.1:45071\/fm-capture\/img:1 \(.*429 \(Too Many Requests\)\): wait/);
  });

  it('mentions the Dockerfile for a failing step only', () => {
    const outputs = [PODMAN.unreachable, PODMAN.unauthorized, PODMAN.notFound, ...Object.values(PODMAN_PUSH), PODMAN_BUILD_TMPDIR_FULL, 'something odd happened', ''];
    for (const output of outputs) expect(message(output, 125)).not.toContain('Dockerfile');
    expect(message('', 130)).not.toContain('Dockerfile');
    expect(message(PODMAN.run, 1)).toContain('images/minimal/Dockerfile:4');
  });

  it('tells an interrupted run by its signal', () => {
    // podman prints nothing when interrupted: the signal is all there is.
    expect(message('STEP 1/2: FROM localhost:5000/fm-capture/img:1\nSTEP 2/2: RUN sleep 20', 130)).toBe('minimal:build-cpu: the podman run was interrupted (SIGINT): rerun to finish it');
    expect(classifyEngineFailure('STEP 2/2: RUN sleep 20', 143)).toEqual({ kind: 'interrupted', detail: 'SIGTERM' });
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
    expect(message('something odd happened', 2)).toBe("minimal:build-cpu: podman failed (something odd happened): see the engine's output above");
    expect(message('', 3)).toContain('(exit code 3)');
  });
});
