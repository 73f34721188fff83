import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readChecksFile, type CheckLists, type ImageChecks } from '@kubeflow-images/plugin-lib/container-test/checks-file';
import { STREAMS } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { debianRootImage, DEBIAN_ROOT_SETUP } from './support/debian-root';
import { readE2eServices } from './support/e2e-services';
import { workspaceImageGraph } from './support/image-hierarchy';
import { docker } from './support/notebook-fixtures';
import { WORKSPACE_ROOT } from './support/temp-workspace';

/**
 * The production images' own checks (images/<image>/tests/checks.json) run
 * in CI on the real images only; these machines cannot build them. What can
 * be run here is run, with bash and python in the shared Debian root: every
 * inline Python program of every check compiles, and the check that RStudio
 * is reachable only through the notebook server passes on an rserver that
 * listens on a unix socket and fails on each way of being open to the pod's
 * network.
 */
jest.setTimeout(300_000);

const LABEL = 'io.kubeflow-images.e2e=production-checks';
const PREFIX = '/notebook/team-a/my-notebook/';
/** A shell word that is python's program: `python -c '...'` or `python -c $'...'`. */
const PYTHON_PROGRAM = /\bpython3? -c (\$'(?:[^'\\]|\\.)*'|'[^']*')/g;

interface DeclaredCommand {
  where: string;
  command: string;
}

let image: string;
let scratch: string;
let commands: DeclaredCommand[];

/** The common lists of a checks.json and each stream section, with the key path to name them by. */
function listsOf(checks: ImageChecks): { where: string; lists: CheckLists }[] {
  return [
    { where: '', lists: checks },
    ...STREAMS.flatMap((stream) => {
      const section = checks.streams[stream];
      return section ? [{ where: `streams.${stream}.`, lists: section }] : [];
    }),
  ];
}

beforeAll(async () => {
  const root = debianRootImage(readE2eServices().stateDir);
  scratch = mkdtempSync(join(tmpdir(), 'kf-production-checks-'));
  writeFileSync(join(scratch, 'Dockerfile'), `FROM ${root}\nSHELL ["/bin/bash", "-c"]\n${DEBIAN_ROOT_SETUP}\nRUN mkdir -p -m 1777 /tmp /usr/lib/rstudio-server/bin && \\\n    cp "$(readlink -f /usr/bin/python3)" /usr/lib/rstudio-server/bin/rserver\n`);
  image = `kf-e2e/production-checks:${randomBytes(4).toString('hex')}`;
  spawnSync('docker', ['build', '--quiet', '--tag', image, scratch], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: 'ignore' });
  docker(['image', 'inspect', image]);

  const graph = await workspaceImageGraph();
  commands = Object.values(graph).flatMap((node) => {
    const { file, checks } = readChecksFile(WORKSPACE_ROOT, node.root);
    return listsOf(checks).flatMap(({ where, lists }) => lists.commands.map((command, index) => ({ where: `${file} ${where}commands[${index}]`, command })));
  });
});

afterAll(() => {
  if (image) spawnSync('docker', ['image', 'rm', '--force', image], { stdio: 'ignore' });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Runs a bash script in the Debian root as the notebook user would, with NB_PREFIX set as Kubeflow sets it. */
function inRoot(script: string): { status: number | null; output: string } {
  const run = spawnSync('docker', ['run', '--rm', '--label', LABEL, '--user', '1000:100', '--env', `NB_PREFIX=${PREFIX}`, image, 'bash', '-c', script], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the inline Python programs of the images\' checks', () => {
  it('compile, every one of them (bash decodes the quoting exactly as when the check runs)', () => {
    const programs = commands.flatMap(({ where, command }) => [...command.matchAll(PYTHON_PROGRAM)].map((match) => ({ where, word: match[1] })));
    expect(programs.length).toBeGreaterThan(0);
    const script = programs
      .map(({ where, word }) => `python3 -c 'import sys; compile(sys.argv[1], sys.argv[2], "exec")' ${word} '${where.replace(/'/g, '')}' || failed=1`)
      .join('\n');
    const run = inRoot(`failed=0\n${script}\nexit $failed`);
    expect(run.output).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('the check that RStudio is reachable only through the notebook server', () => {
  /** The one declared check that reads rserver's command line. */
  function rserverCheck(): string {
    const found = commands.filter(({ command }) => command.includes('rserver') && command.includes('/proc/'));
    expect(found.map(({ where }) => where)).toHaveLength(1);
    return found[0].command;
  }

  /**
   * The check, run while a notebook server stand-in answers under NB_PREFIX on
   * 8888 and an rserver (python under rserver's name and path) runs with
   * `rserverArgs`, plus whatever `alsoListening` opens.
   */
  function checkWith(rserverArgs: string[], alsoListening = ''): { status: number | null; output: string } {
    const server = `import http.server\nclass Answer(http.server.BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200 if self.path.startswith("${PREFIX}rstudio/") else 404)\n        self.end_headers()\n    def log_message(self, *args):\n        pass\nhttp.server.HTTPServer(("0.0.0.0", 8888), Answer).serve_forever()\n`;
    const quoted = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;
    const script = [
      `python3 -c ${quoted(server)} &`,
      `PYTHONHOME=/usr /usr/lib/rstudio-server/bin/rserver -c ${quoted(`import socket, time\n${alsoListening}\ntime.sleep(600)`)} ${rserverArgs.map(quoted).join(' ')} &`,
      'for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8888/ && break; sleep 0.1; done',
      rserverCheck(),
    ].join('\n');
    return inRoot(script);
  }

  const safe = ['--auth-none=1', '--www-frame-origin=none', '--www-socket=/tmp/rstudio.sock', '--server-user=jovyan'];

  it('passes on rserver on a unix socket, without framing, behind the notebook server', () => {
    const run = checkWith(safe);
    expect(run.output).toContain('rserver -c');
    expect(run.status).toBe(0);
  });

  it('passes on rserver bound to 127.0.0.1', () => {
    expect(checkWith(['--auth-none=1', '--www-frame-origin=none', '--www-address=127.0.0.1', '--www-port=8787']).status).toBe(0);
  });

  it.each([
    ['on a TCP port of every address (jupyter-rsession-proxy before 2.4)', ['--auth-none=1', '--www-frame-origin=none', '--www-port=8787'], '', 'rserver listens beyond the notebook server'],
    ['framed by the same origin (the proxy\'s default, rserver.conf not applied)', ['--auth-none=1', '--www-frame-origin=same', '--www-socket=/tmp/rstudio.sock'], '', 'rserver does not refuse framing'],
    ['with another port open on the pod\'s address', safe, 'listener = socket.create_server(("0.0.0.0", 8787))', "ports open on the pod's address besides the notebook's 8888"],
  ])('fails on rserver %s, saying why', (_, args, alsoListening, message) => {
    const run = checkWith(args, alsoListening);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain(message);
  });
});
