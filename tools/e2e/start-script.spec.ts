import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianRootImage, DEBIAN_ROOT_SETUP } from './support/debian-root';
import { readE2eServices } from './support/e2e-services';
import { docker } from './support/notebook-fixtures';
import { WORKSPACE_ROOT } from './support/temp-workspace';

/**
 * images/base/start-notebook-kubeflow.sh, the real file, run with bash in a
 * container (docker run; podman cannot run containers here) made from the
 * shared small Debian root (bash, coreutils, python3, R). The
 * server the script execs, `jupyter`, is a recorder that prints its argv; a
 * fake Istio sidecar shares the container's network as a real one would.
 */
const SCRIPT = join(WORKSPACE_ROOT, 'images/base/start-notebook-kubeflow.sh');
const LABEL = 'io.kubeflow-images.e2e=start-script';
const PREFIX = '/notebook/team-a/my-notebook/';
const RECORDED = 'KF-RECORDED ';

/** Stands in for `jupyter`: prints what the script handed the server, then exits. */
const RECORDER = `#!/usr/bin/python3
import json, os, sys
def mode(path):
    return oct(os.stat(path).st_mode & 0o777) if path and os.path.isdir(path) else None
runtime, xdg = os.environ.get("JUPYTER_RUNTIME_DIR"), os.environ.get("XDG_RUNTIME_DIR")
print("${RECORDED}" + json.dumps({"argv": sys.argv[1:], "runtimeDir": runtime, "runtimeDirMode": mode(runtime),
      "xdgRuntimeDir": xdg, "xdgRuntimeDirMode": mode(xdg), "uid": os.getuid()}), flush=True)
`;

/** Istio's readiness endpoint on :15021: 503 until /tmp/ready exists, then 200; --ready answers 200 at once. */
const FAKE_SIDECAR = `#!/usr/bin/python3
import http.server, os, sys
if "--ready" in sys.argv:
    open("/tmp/ready", "w").close()
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/healthz/ready" and os.path.exists("/tmp/ready")
        self.send_response(200 if ok else 503)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", 15021), Ready).serve_forever()
`;

/**
 * R's site environment file is writable by the notebook user, as
 * fix-permissions leaves $CONDA_DIR/lib/R/etc in the images. CONDA_DIR=/usr
 * puts the script's R_HOME default on Debian's R, /usr/lib/R, whose etc/
 * links to /etc/R, where Debian ships a Renviron.site.
 */
const TEST_DOCKERFILE = (root: string) => `FROM ${root}
SHELL ["/bin/bash", "-c"]
${DEBIAN_ROOT_SETUP}
COPY start-notebook-kubeflow.sh jupyter fake-sidecar /usr/local/bin/
RUN chmod 755 /usr/local/bin/* && mkdir -p -m 1777 /tmp && \\
    mkdir -p /home/jovyan /opt/kubeflow/home-template/.jupyter/lab /opt/kubeflow/home-template/work && \\
    echo from-the-image > /opt/kubeflow/home-template/.jupyter/lab/seeded.txt && \\
    echo new-in-this-image > /opt/kubeflow/home-template/.jupyter/lab/new-default.txt && \\
    chown -R 1000:100 /home/jovyan /opt/kubeflow/home-template && \\
    echo 'SITE_LINE_KEPT=yes' >> /etc/R/Renviron.site && chown -R 1000:100 /etc/R
ENV HOME=/home/jovyan NB_HOME_TEMPLATE=/opt/kubeflow/home-template PATH=/usr/local/bin:/usr/bin:/bin CONDA_DIR=/usr
USER 1000:100
CMD ["start-notebook-kubeflow.sh"]
`;

jest.setTimeout(300_000);

let image: string;
let scratch: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** What the script handed `jupyter`; null when it never started it. */
  recorded: { argv: string[]; runtimeDir: string | null; runtimeDirMode: string | null; uid: number } | null;
}

interface RunOptions {
  env?: Record<string, string>;
  args?: string[];
  /** Host directory mounted as the home volume, as Kubeflow mounts a PVC. */
  home?: string;
  /** Another container whose network the script shares (the pod). */
  network?: string;
}

function dockerRunArgs(options: RunOptions): string[] {
  const args = ['run', '--rm', '--label', LABEL];
  for (const [name, value] of Object.entries({ NB_PREFIX: PREFIX, ...options.env })) args.push('--env', `${name}=${value}`);
  if (options.home) args.push('--volume', `${options.home}:/home/jovyan`);
  if (options.network) args.push('--network', `container:${options.network}`);
  args.push(image);
  if (options.args) args.push('start-notebook-kubeflow.sh', ...options.args);
  return args;
}

function parseRun(status: number | null, stdout: string, stderr: string): Run {
  const line = stdout.split('\n').find((l) => l.startsWith(RECORDED));
  return { status, stdout, stderr, recorded: line ? JSON.parse(line.slice(RECORDED.length)) : null };
}

function runScript(options: RunOptions = {}): Run {
  const result = spawnSync('docker', dockerRunArgs(options), { encoding: 'utf8', timeout: 120_000 });
  return parseRun(result.status, result.stdout, result.stderr);
}

/** An empty host directory owned by the notebook user, as a fresh volume is. */
function volume(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(scratch, 'home-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  execFileSync('chown', ['-R', '1000:100', dir]);
  return dir;
}

beforeAll(() => {
  const services = readE2eServices();
  const root = debianRootImage(services.stateDir);
  scratch = mkdtempSync(join(tmpdir(), 'kf-start-script-'));
  const context = join(scratch, 'context');
  mkdirSync(context);
  writeFileSync(join(context, 'start-notebook-kubeflow.sh'), readFileSync(SCRIPT));
  writeFileSync(join(context, 'jupyter'), RECORDER);
  writeFileSync(join(context, 'fake-sidecar'), FAKE_SIDECAR);
  writeFileSync(join(context, 'Dockerfile'), TEST_DOCKERFILE(root));
  image = `kf-e2e/start-script:${randomBytes(4).toString('hex')}`;
  execFileSync('docker', ['build', '--quiet', '--tag', image, context], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
});

afterAll(() => {
  if (image) spawnSync('docker', ['image', 'rm', '--force', image], { stdio: 'ignore' });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the server command', () => {
  it('is jupyter lab itself (start.sh, the entrypoint, is not entered again), with NOTEBOOK_ARGS split by shell rules, then the arguments', () => {
    const run = runScript({
      env: { NOTEBOOK_ARGS: `--ServerApp.terminado_settings='{"shell_command": ["/bin/bash", "-l"]}' --LabApp.title="My lab" '$(touch /tmp/x)' plain\\ word` },
      args: ['--debug'],
    });
    expect(run.status).toBe(0);
    expect(run.recorded?.argv).toEqual([
      'lab',
      '--ip=0.0.0.0',
      '--port=8888',
      '--no-browser',
      `--ServerApp.base_url=${PREFIX}`,
      '--IdentityProvider.token=',
      '--PasswordIdentityProvider.hashed_password=',
      '--ServerApp.allow_origin=*',
      '--ServerApp.allow_remote_access=True',
      '--ServerApp.authenticate_prometheus=False',
      '--ServerApp.terminado_settings={"shell_command": ["/bin/bash", "-l"]}',
      '--LabApp.title=My lab',
      '$(touch /tmp/x)',
      'plain word',
      '--debug',
    ]);
    expect(run.recorded?.uid).toBe(1000);
  });

  it('opens NOTEBOOK_DEFAULT_URL first when set (e.g. RStudio)', () => {
    const run = runScript({ env: { NOTEBOOK_DEFAULT_URL: '/rstudio/' } });
    expect(run.recorded?.argv).toContain('--ServerApp.default_url=/rstudio/');
    expect(runScript().recorded?.argv.some((arg) => arg.startsWith('--ServerApp.default_url'))).toBe(false);
  });

  it('refuses NOTEBOOK_ARGS with an open quote in one line, before writing anything, and starts nothing', () => {
    const home = volume();
    const run = runScript({ home, env: { NOTEBOOK_ARGS: `--LabApp.title='unclosed` } });
    expect(run.status).toBe(2);
    expect(run.recorded).toBeNull();
    expect(run.stderr.trim()).toBe('start-notebook-kubeflow: error: NOTEBOOK_ARGS cannot be split (No closing quotation): close its quotes');
    expect(readdirSync(home)).toEqual([]);
  });
});

describe('runtime dir, home volume and Kubeflow Pipelines context', () => {
  it('keeps the Jupyter and XDG runtime dirs on local disk, private to the user, not on the home volume', () => {
    const home = volume();
    const run = runScript({ home });
    expect(run.recorded).toMatchObject({
      runtimeDir: '/tmp/jupyter-runtime',
      runtimeDirMode: '0o700',
      xdgRuntimeDir: '/tmp/runtime-1000',
      xdgRuntimeDirMode: '0o700',
    });
    expect(existsSync(join(home, '.local/share/jupyter/runtime'))).toBe(false);
  });

  it('seeds an empty home volume (lost+found aside) from the copy kept in the image', () => {
    for (const home of [volume(), volume({ 'lost+found/.keep': '' })]) {
      const run = runScript({ home });
      expect(run.status).toBe(0);
      expect(readFileSync(join(home, '.jupyter/lab/seeded.txt'), 'utf8')).toBe('from-the-image\n');
      expect(statSync(join(home, '.jupyter/lab/seeded.txt')).uid).toBe(1000);
      expect(statSync(join(home, 'work')).isDirectory()).toBe(true);
      expect(run.stderr).toContain('start-notebook-kubeflow: copied 2 default file(s) or folder(s) from /opt/kubeflow/home-template that /home/jovyan lacked');
    }
  });

  it("brings the image's new default files to a home that has older ones, and replaces nothing of the user's", () => {
    const home = volume({
      'work/analysis.ipynb': '{"cells": []}',
      '.jupyter/lab/seeded.txt': 'edited by the user\n',
    });
    const run = runScript({ home });
    expect(run.status).toBe(0);
    expect(readFileSync(join(home, '.jupyter/lab/new-default.txt'), 'utf8')).toBe('new-in-this-image\n');
    expect(readFileSync(join(home, '.jupyter/lab/seeded.txt'), 'utf8')).toBe('edited by the user\n');
    expect(readFileSync(join(home, 'work/analysis.ipynb'), 'utf8')).toBe('{"cells": []}');
    expect(run.stderr).toContain('start-notebook-kubeflow: copied 1 default file(s) or folder(s)');

    const again = runScript({ home });
    expect(again.stderr).not.toContain('copied');
  });

  it('starts the server when the volume refuses some defaults, naming them in one warning and copying the rest', () => {
    const home = volume({ '.jupyter/lab/keep.txt': 'x' });
    chmodSync(join(home, '.jupyter/lab'), 0o555);
    const run = runScript({ home });
    expect(run.status).toBe(0);
    expect(run.recorded?.argv[0]).toBe('lab');
    expect(run.stderr).toContain('start-notebook-kubeflow: warning: could not copy 2 default(s) from /opt/kubeflow/home-template into /home/jovyan, first /home/jovyan/.jupyter/lab/');
    expect(statSync(join(home, 'work')).isDirectory()).toBe(true);
  });

  it('leaves a file of the user where the image has a folder', () => {
    const home = volume({ '.jupyter': 'a file, not a folder' });
    const run = runScript({ home });
    expect(run.status).toBe(0);
    expect(readFileSync(join(home, '.jupyter'), 'utf8')).toBe('a file, not a folder');
    expect(statSync(join(home, 'work')).isDirectory()).toBe(true);
  });

  it("writes ~/.config/kfp/context.json with the namespace of Kubeflow's NB_PREFIX, and nothing for another prefix", () => {
    const home = volume({ 'keep.txt': 'x' });
    runScript({ home });
    expect(JSON.parse(readFileSync(join(home, '.config/kfp/context.json'), 'utf8'))).toEqual({ namespace: 'team-a' });

    runScript({ home, env: { NB_PREFIX: '/notebook/team-b/other' } });
    expect(JSON.parse(readFileSync(join(home, '.config/kfp/context.json'), 'utf8'))).toEqual({ namespace: 'team-b' });

    for (const prefix of ['/', '/notebook/Not_A_Namespace/x/', '/lab/']) {
      const other = volume({ 'keep.txt': 'x' });
      expect(runScript({ home: other, env: { NB_PREFIX: prefix } }).status).toBe(0);
      expect(existsSync(join(other, '.config/kfp/context.json'))).toBe(false);
    }
  });
});

describe('the Kubeflow Pipelines context the user edited', () => {
  it('is kept, with one line saying so; a context this script wrote follows the namespace', () => {
    const home = volume({ 'keep.txt': 'x' });
    runScript({ home });
    const context = join(home, '.config/kfp/context.json');
    const edited = '{"namespace": "shared-team", "client_authentication_header_name": "kubeflow-userid"}\n';
    writeFileSync(context, edited);
    const run = runScript({ home, env: { NB_PREFIX: '/notebook/team-b/other/' } });
    expect(run.status).toBe(0);
    expect(readFileSync(context, 'utf8')).toBe(edited);
    expect(run.stderr).toContain(`start-notebook-kubeflow: Kubeflow Pipelines context: keeping /home/jovyan/.config/kfp/context.json as edited`);

    rmSync(context);
    runScript({ home, env: { NB_PREFIX: '/notebook/team-b/other/' } });
    expect(JSON.parse(readFileSync(context, 'utf8'))).toEqual({ namespace: 'team-b' });
  });
});

describe("the pod's environment for R sessions", () => {
  const pod = {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
    HTTPS_PROXY: 'http://proxy.example:3128',
    no_proxy: '.svc,.cluster.local,127.0.0.1',
    KF_PIPELINES_ENDPOINT: 'http://ml-pipeline.kubeflow:8888',
    UNRELATED: 'not-for-r',
  };
  const names = [...Object.keys(pod), 'SITE_LINE_KEPT'];
  /** R's /etc/R as a named volume, so that what one start wrote is there for the next container, as on a pod's disk. */
  const rEtc = `kf-e2e-r-etc-${randomBytes(3).toString('hex')}`;

  afterAll(() => {
    spawnSync('docker', ['volume', 'rm', '--force', rEtc], { stdio: 'ignore' });
  });

  /**
   * Starts the script with the pod's `env`, then asks R, started with an
   * empty environment as rsession is, which of `names` it sees.
   */
  function startThenAskR(env: Record<string, string>): Record<string, string> {
    const args = ['run', '--rm', '--label', LABEL, '--volume', `${rEtc}:/etc/R`];
    const started = [...args];
    for (const [name, value] of Object.entries({ NB_PREFIX: PREFIX, ...env })) started.push('--env', `${name}=${value}`);
    expect(spawnSync('docker', [...started, image], { encoding: 'utf8' }).status).toBe(0);
    const program = `for (name in c(${names.map((name) => `"${name}"`).join(', ')})) cat(name, "=", Sys.getenv(name, "<unset>"), "\\n", sep = "")`;
    const asked = spawnSync('docker', [...args, image, 'env', '-i', '/usr/bin/Rscript', '--default-packages=base', '-e', program], { encoding: 'utf8' });
    expect(asked.status).toBe(0);
    return Object.fromEntries(
      asked.stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  it('reach Renviron.site, which R reads at every session start; the rest of the file is kept and the block is rewritten at every start', () => {
    expect(startThenAskR(pod)).toEqual({ ...pod, UNRELATED: '<unset>', SITE_LINE_KEPT: 'yes' });

    const moved = { KUBERNETES_SERVICE_HOST: '10.100.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(startThenAskR(moved)).toEqual({
      ...Object.fromEntries(names.map((name) => [name, '<unset>'])),
      ...moved,
      SITE_LINE_KEPT: 'yes',
    });
  });
});

describe('the Istio sidecar', () => {
  const READY_URL = 'http://127.0.0.1:15021/healthz/ready';

  /** A fake istio-proxy container; the script's container joins its network, as containers of one pod share it. */
  function sidecar(...args: string[]): string {
    const name = `kf-e2e-istio-${randomBytes(3).toString('hex')}`;
    docker(['run', '--detach', '--rm', '--name', name, '--label', LABEL, image, 'fake-sidecar', ...args]);
    const listening = `import socket; socket.create_connection(("127.0.0.1", 15021), timeout=1).close()`;
    const deadline = Date.now() + 30_000;
    while (spawnSync('docker', ['exec', name, 'python3', '-c', listening], { stdio: 'ignore' }).status !== 0) {
      if (Date.now() > deadline) throw new Error(`the fake sidecar ${name} never listened on 15021`);
    }
    return name;
  }

  /** A mounted service-account token, as Kubernetes mounts one into a pod's containers. */
  function serviceAccount(): string {
    const dir = mkdtempSync(join(scratch, 'serviceaccount-'));
    writeFileSync(join(dir, 'token'), 'a-token');
    chmodSync(dir, 0o755);
    return dir;
  }

  it('is not probed outside a pod', () => {
    const run = runScript();
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/Istio/);
  });

  it('in a pod without one, costs one refused probe: no wait and no line', () => {
    const run = runScript({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', ISTIO_PROXY_WAIT_SECONDS: '120' } });
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/Istio/);
    expect(run.recorded?.argv[0]).toBe('lab');
  });

  it('in a pod, one that is ready already gets one line and no wait', () => {
    const proxy = sidecar('--ready');
    try {
      const run = runScript({ network: proxy, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } });
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(`start-notebook-kubeflow: the Istio sidecar is ready (${READY_URL})`);
      expect(run.stderr).not.toContain('waiting');
    } finally {
      spawnSync('docker', ['rm', '--force', proxy], { stdio: 'ignore' });
    }
  });

  it('in an injected pod (a service-account token, no ISTIO_* variable here), is waited for, with a log line, until it is ready', async () => {
    const proxy = sidecar();
    try {
      const args = dockerRunArgs({ network: proxy, env: { ISTIO_PROXY_WAIT_SECONDS: '120' } });
      args.splice(args.indexOf(image), 0, '--volume', `${serviceAccount()}:/var/run/secrets/kubernetes.io/serviceaccount:ro`);
      const child = spawn('docker', args);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const deadline = Date.now() + 60_000;
      while (!stderr.includes(`waiting up to 120s for the Istio sidecar (${READY_URL})`)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`never saw the wait:\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The sidecar is up but not ready: the server must not have started yet.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(stdout).not.toContain(RECORDED);
      docker(['exec', proxy, 'touch', '/tmp/ready']);
      const run = parseRun(await exited, stdout, stderr);
      expect(run.status).toBe(0);
      expect(run.stderr).toMatch(/start-notebook-kubeflow: the Istio sidecar is ready \(after \d+s\)/);
      expect(run.recorded?.argv[0]).toBe('lab');
    } finally {
      spawnSync('docker', ['rm', '--force', proxy], { stdio: 'ignore' });
    }
  });

  it('that never gets ready is waited for at most ISTIO_PROXY_WAIT_SECONDS, then the server starts anyway', () => {
    const proxy = sidecar();
    try {
      const run = runScript({ network: proxy, env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', ISTIO_PROXY_WAIT_SECONDS: '2' } });
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(`start-notebook-kubeflow: waiting up to 2s for the Istio sidecar (${READY_URL})`);
      expect(run.stderr).toContain(
        'start-notebook-kubeflow: warning: the Istio sidecar is not ready after 2s; starting the server anyway (outbound calls may fail until it is)',
      );
      expect(run.recorded?.argv[0]).toBe('lab');
    } finally {
      spawnSync('docker', ['rm', '--force', proxy], { stdio: 'ignore' });
    }
  });

  it('is waited for, bounded, when an ISTIO_* variable is set here (a PodDefault) even though nothing listens yet', () => {
    const run = runScript({ env: { ISTIO_META_MESH_ID: 'cluster.local', ISTIO_PROXY_WAIT_SECONDS: '2' } });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`start-notebook-kubeflow: waiting up to 2s for the Istio sidecar (${READY_URL})`);
    expect(run.stderr).toContain('start-notebook-kubeflow: warning: the Istio sidecar is not ready after 2s');
    expect(run.recorded?.argv[0]).toBe('lab');
  });
});
