/**
 * A registry that stops between two moves: a loopback proxy in front of a
 * real registry that forwards every request until it has forwarded
 * `putsBeforeOutage` manifest PUTs, and from then on answers 503 to
 * everything, as a registry that went down mid-promotion does. It runs in a
 * child process, so a test can drive a synchronous CI script through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request, createServer } from 'node:http';

export interface RegistryOutage {
  /** host:port to use as the registry. */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistryOutage(target: string, putsBeforeOutage: number): Promise<RegistryOutage> {
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', __filename, target, String(putsBeforeOutage)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`registry proxy exited (${code}) before listening`)));
    child.stdout!.once('data', (data: Buffer) => resolve(Number(/listening (\d+)/.exec(data.toString())?.[1])));
  });
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function serve(target: string, putsBeforeOutage: number): void {
  const [hostname, port] = target.split(':');
  let puts = 0;
  const server = createServer((incoming, outgoing) => {
    const isManifestPut = incoming.method === 'PUT' && /\/manifests\//.test(incoming.url ?? '');
    if (isManifestPut) puts++;
    if (isManifestPut && puts > putsBeforeOutage) {
      outgoing.writeHead(503, { 'Content-Type': 'text/plain' }).end('registry stopped');
      putsBeforeOutage = -1;
      return;
    }
    if (putsBeforeOutage < 0) {
      outgoing.writeHead(503, { 'Content-Type': 'text/plain' }).end('registry stopped');
      return;
    }
    const forwarded = request({ hostname, port: Number(port), path: incoming.url, method: incoming.method, headers: { ...incoming.headers, host: target } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(forwarded);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
}

if (require.main === module) serve(process.argv[2], Number(process.argv[3]));
