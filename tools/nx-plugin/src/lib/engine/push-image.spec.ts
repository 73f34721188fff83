import { fakeCli } from './fake-cli.test-helper';
import { EngineRunError } from './engine-output';
import { pushImage } from './push-image';

const IMAGE = '127.0.0.1:45071/fm-capture/img:1';
/** What podman 4.3 printed here when the proxy failed its pushes (see classify-engine-failure.spec.ts). */
const MANIFEST_500 = 'Error: writing manifest: uploading manifest 1 to 127.0.0.1:45071/fm-capture/img: received unexpected HTTP status: 500 Internal Server Error';
const BROKEN_PIPE = 'Error: writing blob: Patch "http://127.0.0.1:45071/v2/fm-capture/img/blobs/uploads/d0364c67?_state=x": write tcp 127.0.0.1:37556->127.0.0.1:45071: write: broken pipe';
const THROTTLED = 'Error: trying to reuse blob sha256:9e5f at destination: failed to read from destination repository fm-capture/img: 429 (Too Many Requests)';
const REFUSED = 'Error: trying to reuse blob sha256:5fe7 at destination: pinging container registry 127.0.0.1:1: Get "https://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused';
const UNAUTHORIZED = 'Error: trying to reuse blob sha256:5fe7 at destination: checking whether a blob sha256:5fe7 exists in localhost:5000/fm-capture/img: unauthorized: authentication required';

function answers(...stderr: Array<string | null>) {
  let call = 0;
  return fakeCli('podman', { push: () => {
    const next = stderr[Math.min(call++, stderr.length - 1)];
    return next === null ? { code: 0 } : { code: 125, stderr: next };
  } });
}

const noWait = async () => undefined;

describe('pushImage', () => {
  it('pushes once when the registry takes it', async () => {
    const cli = answers(null);
    const lines: string[] = [];
    await pushImage(IMAGE, { cli, log: (line) => lines.push(line), sleep: noWait });
    expect(cli.calls).toEqual([['push', IMAGE]]);
    expect(lines).toEqual([]);
  });

  it('retries a throttled push and a 5xx, one line each, then passes', async () => {
    const cli = answers(THROTTLED, MANIFEST_500, null);
    const lines: string[] = [];
    await pushImage(IMAGE, { cli, log: (line) => lines.push(line), sleep: noWait });
    expect(cli.calls).toHaveLength(3);
    expect(lines).toEqual([
      `podman push ${IMAGE}: trying to reuse blob sha256:9e5f at destination: failed to read from destination repository fm-capture/img: 429 (Too Many Requests); retrying in 1 s (retry 1 of 3)`,
      `podman push ${IMAGE}: writing manifest: uploading manifest 1 to 127.0.0.1:45071/fm-capture/img: received unexpected HTTP status: 500 Internal Server Error; retrying in 2 s (retry 2 of 3)`,
    ]);
  });

  it('gives up after the last try with the engine output, for the classifier', async () => {
    const cli = answers(BROKEN_PIPE);
    const lines: string[] = [];
    const error = await pushImage(IMAGE, { cli, log: (line) => lines.push(line), sleep: noWait }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineRunError);
    expect((error as EngineRunError).output).toContain('write: broken pipe');
    expect((error as EngineRunError).exitCode).toBe(125);
    expect(cli.calls).toHaveLength(4);
    expect(lines).toHaveLength(3);
  });

  it('does not retry what another try cannot mend: a refused connection, a refused login', async () => {
    for (const stderr of [REFUSED, UNAUTHORIZED]) {
      const cli = answers(stderr);
      await expect(pushImage(IMAGE, { cli, log: () => undefined, sleep: noWait })).rejects.toBeInstanceOf(EngineRunError);
      expect(cli.calls).toHaveLength(1);
    }
  });

  it('hands podman the auth file a credential helper login was written to', async () => {
    const cli = answers(null);
    await pushImage(IMAGE, { cli, authFile: '/tmp/x/auth.json', log: () => undefined });
    expect(cli.calls).toEqual([['push', '--authfile', '/tmp/x/auth.json', IMAGE]]);
  });
});
