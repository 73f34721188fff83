import { spawn } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * An HTTP proxy in front of an e2e registry that makes chosen requests fail,
 * the way real registries do: an HTTP error (a 500 from broken storage, a 429
 * with Retry-After from a throttling registry, a 503 from a registry that
 * stopped midway) or a connection cut in the middle of an upload. Everything
 * else passes through unchanged (Host included, so the registry's upload
 * locations point back at the proxy).
 *
 * It runs in a process of its own: the suites run Nx synchronously, which
 * would starve a server in the test's own event loop.
 */
export interface FailingRegistryProxy {
  /** 127.0.0.1:port, for image references. */
  host: string;
  /** Which requests fail from now on, and how; null: none. */
  fail(rule: FailRule | null): Promise<void>;
  /** How many requests it failed since started. */
  failed(): Promise<number>;
  stop(): Promise<void>;
}

export interface FailRule {
  /** Requests for `/v2/<repository>/...` fail; every `/v2/` request when absent. */
  repository?: string;
  /** Only POST, PUT, PATCH and DELETE fail. */
  writesOnly?: boolean;
  /** Only requests whose method is this fail (e.g. PUT). */
  method?: string;
  /** Only requests whose path (after `/v2/<repository>/`) starts with this fail (e.g. `manifests/`, `blobs/uploads/`). */
  under?: string;
  /** The HTTP status of the answer (default 500), unless `cut`. */
  status?: number;
  /** Seconds for a Retry-After header. */
  retryAfter?: number;
  /** Instead of answering, read part of the request body and close the connection (a registry that went away mid-upload). */
  cut?: boolean;
  /** Fail this many matching requests, then pass them again (default: all of them). */
  times?: number;
  /** Pass everything until this many requests like these went through, then fail from the next one on: a registry that stops midway. */
  after?: { method?: string; under?: string; passes: number };
}

const CONTROL = '/__failing-proxy';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function matches(rule: Pick<FailRule, 'repository' | 'under' | 'method' | 'writesOnly'>, req: IncomingMessage): boolean {
  const method = req.method ?? '';
  const url = req.url ?? '';
  const place = rule.repository === undefined ? url.startsWith('/v2/') && (!rule.under || url.includes(`/${rule.under}`)) : url.startsWith(`/v2/${rule.repository}/${rule.under ?? ''}`);
  if (!place) return false;
  if (rule.writesOnly && !WRITES.has(method)) return false;
  return !rule.method || rule.method === method;
}

/** The proxy itself (the child process). */
function serve(registry: string): void {
  const [targetHost, targetPort] = registry.split(':');
  let rule: FailRule | null = null;
  let failedCount = 0;
  /** Requests like `rule.after` that went through since the rule was set. */
  let passed = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url === CONTROL) {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.method === 'PUT') {
          rule = JSON.parse(body) as FailRule | null;
          passed = 0;
        }
        res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(JSON.stringify({ failed: failedCount }));
      });
      return;
    }
    const stopped = !rule?.after || passed >= rule.after.passes;
    if (rule?.after && !stopped && matches(rule.after, req)) passed++;
    if (rule && stopped && matches(rule, req) && (rule.times === undefined || rule.times > 0)) {
      failedCount++;
      if (rule.times !== undefined) rule.times--;
      if (rule.cut) {
        // Let part of the upload arrive first, so the client is mid-write when the connection goes.
        let received = 0;
        const cut = () => req.socket.destroy();
        req.on('data', (chunk: Buffer) => (received += chunk.length) > 64 * 1024 && cut());
        req.on('end', cut);
        return;
      }
      req.resume();
      const status = rule.status ?? 500;
      res.writeHead(status, { 'Content-Type': 'application/json', ...(rule.retryAfter !== undefined && { 'Retry-After': String(rule.retryAfter) }) });
      const code = status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN';
      res.end(JSON.stringify({ errors: [{ code, message: status === 429 ? 'too many requests (test proxy)' : 'storage failure (test proxy)' }] }));
      return;
    }
    const upstream = request({ host: targetHost === 'localhost' ? '127.0.0.1' : targetHost, port: Number(targetPort), method: req.method, path: url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}

export async function startFailingRegistryProxy(registry: string): Promise<FailingRegistryProxy> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', __filename, registry], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the failing registry proxy exited (${code}) before listening`)));
    child.stdout.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
  });
  const host = `127.0.0.1:${port}`;
  const control = async (method: 'GET' | 'PUT', body?: string) => ((await (await fetch(`http://${host}${CONTROL}`, { method, body, headers: { Connection: 'close' } })).json()) as { failed: number }).failed;
  return {
    host,
    fail: async (rule) => void (await control('PUT', JSON.stringify(rule))),
    failed: () => control('GET'),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module) serve(process.argv[2]);
