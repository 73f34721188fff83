import { spawn } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * An HTTP proxy in front of the e2e registry that answers 500 for one
 * repository while told to (every request, or only writes), and passes
 * everything else through unchanged (Host included, so the registry's upload
 * locations point back at the proxy). It stands for a registry whose cache
 * storage is broken while its images are fine.
 *
 * It runs in a process of its own: the suites run Nx synchronously, which
 * would starve a server in the test's own event loop.
 */
export interface FailingRegistryProxy {
  /** 127.0.0.1:port, for image references. */
  host: string;
  /** Which requests for `/v2/<repository>/...` fail from now on; null: none. */
  fail(rule: FailRule | null): Promise<void>;
  /** How many requests it failed since started. */
  failed(): Promise<number>;
  stop(): Promise<void>;
}

interface FailRule {
  repository: string;
  writesOnly: boolean;
}

const CONTROL = '/__failing-proxy';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The proxy itself (the child process). */
function serve(registry: string): void {
  const [targetHost, targetPort] = registry.split(':');
  let rule: FailRule | null = null;
  let failedCount = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url === CONTROL) {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (req.method === 'PUT') rule = JSON.parse(body) as FailRule | null;
        res.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' });
        res.end(JSON.stringify({ failed: failedCount }));
      });
      return;
    }
    if (rule && url.startsWith(`/v2/${rule.repository}/`) && (!rule.writesOnly || WRITES.has(req.method ?? ''))) {
      failedCount++;
      req.resume();
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'storage failure (test proxy)' }] }));
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
