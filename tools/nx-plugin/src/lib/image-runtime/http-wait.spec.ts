import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answers, describeAnswer, httpGet, waitForHttp, type HttpAnswer } from './http-wait';

function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const RUNNING = async () => ({ running: true, exitCode: null });

describe('answers', () => {
  it('counts 2xx and 3xx (Jupyter redirects to /lab) as answering, nothing else', () => {
    expect([200, 204, 302, 399].every(answers)).toBe(true);
    expect([null, 101, 404, 500].some(answers)).toBe(false);
  });
});

describe('waitForHttp', () => {
  it('polls until the server answers under the prefix', async () => {
    const seen: HttpAnswer[] = [{ status: null, error: 'ECONNREFUSED' }, { status: 404 }, { status: 302 }];
    const c = clock();
    const outcome = await waitForHttp('http://x/', { timeoutMs: 10_000, intervalMs: 500, containerState: RUNNING, get: async () => seen.shift()!, ...c });
    expect(outcome).toEqual({ ok: true, status: 302, elapsedMs: 1000 });
  });

  it('gives up at the time limit with what it saw last', async () => {
    const outcome = await waitForHttp('http://x/', { timeoutMs: 3_000, containerState: RUNNING, get: async () => ({ status: 404 }), ...clock() });
    expect(outcome).toMatchObject({ ok: false, reason: 'timeout', last: { status: 404 } });
    expect(describeAnswer((outcome as { last: HttpAnswer }).last)).toBe('last answer HTTP 404');
  });

  it('stops at once when the container exits', async () => {
    const outcome = await waitForHttp('http://x/', {
      timeoutMs: 60_000,
      containerState: async () => ({ running: false, exitCode: 3 }),
      get: async () => ({ status: null, error: 'ECONNRESET' }),
      ...clock(),
    });
    expect(outcome).toMatchObject({ ok: false, reason: 'exited', exitCode: 3, elapsedMs: 0 });
    expect(describeAnswer({ status: null, error: 'ECONNRESET' })).toBe('last attempt: ECONNRESET');
  });
});

describe('httpGet', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/notebook/ns/n/') {
        res.writeHead(302, { location: '/notebook/ns/n/lab' });
        res.end();
      } else {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('returns the status without following redirects', async () => {
    expect(await httpGet(`http://127.0.0.1:${port}/notebook/ns/n/`)).toEqual({ status: 302 });
    expect(await httpGet(`http://127.0.0.1:${port}/`)).toEqual({ status: 404 });
  });

  it('returns the error code when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await httpGet(`http://127.0.0.1:${freePort}/`)).toEqual({ status: null, error: 'ECONNREFUSED' });
  });
});
