import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readE2eServices, type E2eServices } from './support/e2e-services';
import { readRecordIn } from './support/records';
import { createPodmanMachine, fixtureCpuLock, type PodmanMachine } from './support/podman-fixtures';
import { createTempWorkspace, expectNxSuccess, type NxResult, type TempWorkspace } from './support/temp-workspace';

/**
 * Every bad input the build system names with a fix, through the real
 * Nx CLI on ONE copy of the workspace: each case changes one file (or the
 * environment), runs plan mode, and puts the file back. Each must exit
 * non-zero with one line naming the place and the fix, no stack trace, and
 * no build record.
 */
jest.setTimeout(600_000);

let workspace: TempWorkspace;

/**
 * Plugin isolation only changes how Nx hosts the graph plugin, which the
 * executor's checks do not involve; in-process, each run here takes half the
 * time. The hierarchy cases keep Nx's default, as users run it.
 */
const IN_PROCESS_PLUGINS = { NX_ISOLATE_PLUGINS: 'false' };

type Edit = (text: string) => string | null;

interface BadInput {
  /** What a user got wrong. */
  name: string;
  /** The image whose plan runs (its parents' records come from the baseline plan). */
  project?: string;
  /** File (from the workspace root) → its new text, or null to delete it. */
  edits?: Record<string, Edit>;
  env?: NodeJS.ProcessEnv;
  /** Extra arguments of the Nx command. */
  args?: string[];
  /** The one line the user must see. */
  line: RegExp;
}

const SETTINGS = 'build_settings.env';
const setting = (key: string, value: string): Edit => (text) => text.replace(new RegExp(`^${key}=.*$`, 'm'), `${key}=${value}`);
const appended = (line: string): Edit => (text) => `${text}${line}\n`;
const json = (change: (config: Record<string, any>) => void): Edit => (text) => {
  const config = JSON.parse(text);
  change(config);
  return JSON.stringify(config, null, 2);
};
const project = (name: string) => `images/${name}/project.json`;
const dockerfile = (name: string) => `images/${name}/Dockerfile`;
const checksFile = (name: string) => `images/${name}/tests/checks.json`;

/** Settings mistakes are found by the root's plan: every image reads the same file. */
const settingsCases: BadInput[] = ([
  { name: 'a pin that is not a reference', edits: { [SETTINGS]: setting('UPSTREAM_CONTAINER_CPU', 'Not A Ref!!') }, line: /build_settings\.env:\d+: UPSTREAM_CONTAINER_CPU="Not A Ref!!" is not an image reference \(.*\): use \[registry\/\]repository/ },
  { name: 'a pin with a space', edits: { [SETTINGS]: setting('UPSTREAM_CONTAINER_CPU', 'quay.io/jupyter/datascience-notebook:abc def') }, line: /build_settings\.env:\d+: UPSTREAM_CONTAINER_CPU=".*abc def" is not an image reference \("abc def" is not a valid tag/ },
  { name: 'a 200,000-character pin', edits: { [SETTINGS]: setting('UPSTREAM_CONTAINER_CPU', `quay.io/x/y:${'a'.repeat(200_000)}`) }, line: /build_settings\.env:\d+: UPSTREAM_CONTAINER_CPU="quay\.io\/x\/y:a+…a+ \(200012 characters\)" is not an image reference \(200012 characters, more than any valid reference\)/ },
  { name: 'an untagged pin part with capitals', env: { UPSTREAM_CONTAINER_CPU_UNTAGGED: 'quay.io/Jupyter/notebook' }, line: /environment variable UPSTREAM_CONTAINER_CPU_UNTAGGED="quay\.io\/Jupyter\/notebook" is not an image reference/ },
  { name: 'a registry with a scheme', edits: { [SETTINGS]: setting('IMAGE_REGISTRY', 'https://myacr.azurecr.io') }, line: /build_settings\.env:\d+: IMAGE_REGISTRY="https:\/\/myacr\.azurecr\.io" is not a registry \(a URL scheme is not part of an image name\): use host\[:port\]\[\/namespace\]/ },
  { name: 'a registry with a space', edits: { [SETTINGS]: setting('IMAGE_REGISTRY', 'my acr.azurecr.io') }, line: /IMAGE_REGISTRY="my acr\.azurecr\.io" is not a registry \(.*is not a registry host\)/ },
  { name: 'a registry namespace with capitals', env: { IMAGE_REGISTRY: 'myacr.azurecr.io/MyTeam' }, line: /environment variable IMAGE_REGISTRY="myacr\.azurecr\.io\/MyTeam" is not a registry \(image names are lower case\)/ },
  { name: "a registry that makes another image's published name too long stops the root's build", env: { IMAGE_REGISTRY: `registry.example.com/${'n'.repeat(209)}` }, line: /images\/gpu-upstream\/project\.json: metadata\.imageName makes ".*" 263 characters long, over the limit of 255 for registry, name and -gpu suffix together: shorten imageName to at most 20 characters or use a shorter registry/ },
  { name: 'a duplicate key', edits: { [SETTINGS]: appended('IMAGE_ENGINE=podman') }, line: /build_settings\.env:\d+ and build_settings\.env:\d+ both set IMAGE_ENGINE \(the last would win silently\): keep one of them/ },
  { name: 'a misspelled key', edits: { [SETTINGS]: appended('IMAGE_REGISTERY=myacr.azurecr.io') }, line: /build_settings\.env:\d+: unknown setting IMAGE_REGISTERY \(did you mean IMAGE_REGISTRY\?\): fix the name, or prefix your own variables with CUSTOM_/ },
  { name: 'an unknown engine in plan mode', edits: { [SETTINGS]: setting('IMAGE_ENGINE', 'dokcer') }, line: /build_settings\.env:\d+: IMAGE_ENGINE="dokcer" is not an engine \(did you mean docker\?\): use docker, podman, auto/ },
  { name: 'a push without a registry', env: { IMAGE_PUSH: 'true', IMAGE_REGISTRY: '' }, line: /base: push needs a registry: set IMAGE_REGISTRY \(build_settings\.env or environment\) or the target's "registry" option, or set IMAGE_PUSH=false/ },
  { name: 'a boolean that is neither true nor false', env: { IMAGE_PUSH: 'maybe' }, line: /environment variable IMAGE_PUSH="maybe" is not a boolean: use true or false/ },
  { name: 'an unterminated quote', edits: { [SETTINGS]: setting('GPU_JUPYTER_REPO', '"https://github.com/iot-salzburg/gpu-jupyter.git') }, line: /build_settings\.env:\d+: the value of GPU_JUPYTER_REPO opens a " quote that is never closed: add the closing "/ },
  { name: 'a line that is no setting', edits: { [SETTINGS]: appended('IMAGE_REGISTRY myacr.azurecr.io') }, line: /build_settings\.env:\d+: cannot read "IMAGE_REGISTRY myacr\.azurecr\.io": write settings as KEY=value/ },
  { name: 'a required key missing', edits: { [SETTINGS]: setting('GPU_JUPYTER_HEAD_COMMIT', '') }, line: /build_settings\.env: required setting GPU_JUPYTER_HEAD_COMMIT is missing or empty: add GPU_JUPYTER_HEAD_COMMIT=<value>/ },
  { name: 'a gpu-jupyter pin that is a branch', edits: { [SETTINGS]: setting('GPU_JUPYTER_HEAD_COMMIT', 'main') }, line: /build_settings\.env:\d+: GPU_JUPYTER_HEAD_COMMIT="main" is not a full commit: use the commit's 40 hex digits/ },
  { name: 'a reference to an undefined variable', edits: { [SETTINGS]: setting('UPSTREAM_CONTAINER_CPU', '${UPSTREAM_CONTAINER_CPU_UNTAGED}:x') }, line: /build_settings\.env: UPSTREAM_CONTAINER_CPU refers to \$UPSTREAM_CONTAINER_CPU_UNTAGED, which is neither set in the file nor in the environment/ },
  { name: 'an unknown upstream in the lock', edits: { 'upstream-lock.json': json((c) => (c.upstreams['gpu-upstream/nvidia-cudnn'] = { reference: 'nvidia/cuda:12', digest: null, checkedAt: '2026-01-01T00:00:00.000Z' })) }, line: /upstream-lock\.json: upstreams\["gpu-upstream\/nvidia-cudnn"\] is no upstream of this workspace \(did you mean gpu-upstream\/nvidia-cuda\?\), so nothing would read it: fix its name or remove the entry/ },
  { name: 'a variable used above the line that sets it', edits: { [SETTINGS]: (text: string) => `${setting('IMAGE_REGISTRY', '${CUSTOM_ACR}.azurecr.io')(text)}CUSTOM_ACR=myacr\n` }, line: /build_settings\.env:\d+: IMAGE_REGISTRY refers to \$CUSTOM_ACR, which is set only below it \(line \d+\), and a reference sees only the lines above it: move CUSTOM_ACR=… above line \d+/ },
  { name: 'no settings file', edits: { [SETTINGS]: () => null }, line: /build_settings\.env not found at the workspace root .*: restore it from git/ },
] as BadInput[]).map((input) => ({ project: 'base', ...input }));

const imageCases: BadInput[] = [
  { name: 'an image name no engine accepts', project: 'geomatics', edits: { [project('geomatics')]: json((c) => (c.metadata.imageName = 'Geo Matics!')) }, line: /images\/geomatics\/project\.json: metadata\.imageName="Geo Matics!" is not an image name \(.*\): use lower-case letters/ },
  { name: 'no image name', project: 'geomatics', edits: { [project('geomatics')]: json((c) => delete c.metadata.imageName) }, line: /images\/geomatics\/project\.json: geomatics has no image name: set "metadata": \{ "imageName": "<name>" \}/ },
  { name: 'BASE_CONTAINER set by hand', project: 'geomatics', edits: { [project('geomatics')]: json((c) => (c.targets = { 'build-cpu': { options: { buildArgs: { BASE_CONTAINER: 'ubuntu:22.04' } } } })) }, line: /geomatics:build-cpu sets BASE_CONTAINER in buildArgs: remove it/ },
  { name: 'a build arg no ARG declares', project: 'geomatics', edits: { [project('geomatics')]: json((c) => (c.targets = { 'build-cpu': { options: { buildArgs: { PYTHON_VERSON: '3.12' } } } })) }, line: /images\/geomatics\/project\.json: geomatics:build-cpu buildArgs\.PYTHON_VERSON is no ARG of images\/geomatics\/Dockerfile, so the build would ignore it: declare `ARG PYTHON_VERSON`/ },
  { name: 'a COPY of a dockerignored file', project: 'geomatics', edits: { [dockerfile('geomatics')]: (text) => `${text}COPY README.md /opt/\n` }, line: /images\/geomatics\/Dockerfile:\d+ copy-source-exists COPY source README\.md is excluded by the context's \.dockerignore: remove it from \.dockerignore or stop copying it/ },
  { name: 'an empty Dockerfile', project: 'minimal', edits: { [dockerfile('minimal')]: () => '' }, line: /images\/minimal\/Dockerfile:1 base-container-arg the Dockerfile has no FROM instruction \(is it empty\?\): start the file with `ARG BASE_CONTAINER`/ },
  { name: 'a Dockerfile without ARG BASE_CONTAINER', project: 'minimal', edits: { [dockerfile('minimal')]: (text) => text.replace(/^ARG BASE_CONTAINER\n/m, '') }, line: /images\/minimal\/Dockerfile:1 base-container-arg FROM uses \$BASE_CONTAINER but no `ARG BASE_CONTAINER` is declared before the first FROM: add `ARG BASE_CONTAINER`/ },
  { name: 'a Dockerfile FROM ubuntu:22.04', project: 'minimal', edits: { [dockerfile('minimal')]: (text) => text.replace('FROM $BASE_CONTAINER', 'FROM ubuntu:22.04') }, line: /images\/minimal\/Dockerfile:2 base-container-arg the final stage builds FROM ubuntu:22\.04, not \$BASE_CONTAINER/ },
  { name: 'a context outside the workspace', project: 'geomatics', edits: { [project('geomatics')]: json((c) => (c.targets = { 'build-cpu': { options: { context: '../../..' } } })) }, line: /images\/geomatics\/project\.json: geomatics:build-cpu option context "\.\.\/\.\.\/\.\." is outside the workspace, where Nx cannot hash it: use a folder inside the workspace/ },
  { name: 'a 0-byte checks.json', project: 'geomatics', edits: { [checksFile('geomatics')]: () => '' }, line: /images\/geomatics\/tests\/checks\.json is not valid JSON \(Unexpected end of JSON input\): write \{"pythonImports"/ },
  { name: 'a checks.json with a misspelled key', project: 'geomatics', edits: { [checksFile('geomatics')]: json((c) => ((c.pythonImport = c.pythonImports), delete c.pythonImports)) }, line: /images\/geomatics\/tests\/checks\.json: unknown key\(s\) pythonImport: the keys are pythonImports, rImports, commands, streams/ },
  { name: 'an unknown option on the command line (batch mode)', project: 'geomatics', args: ['--foo=bar'], line: /geomatics:build-cpu: --foo is no option of the build executor: leave it out \(its options: stream, / },
  { name: 'an unknown option in project.json', project: 'geomatics', edits: { [project('geomatics')]: json((c) => (c.targets = { 'build-cpu': { options: { buildArg: { X: '1' } } } })) }, line: /images\/geomatics\/project\.json: targets\["build-cpu"\]\.options\.buildArg is no option of the build executor \(did you mean buildArgs\?\): remove it/ },
  { name: 'no Dockerfile', project: 'minimal', edits: { [dockerfile('minimal')]: () => null }, line: /minimal: Dockerfile .*images\/minimal\/Dockerfile not found: create it/ },
];

/** The hierarchy is checked while Nx builds the graph: no task runs at all. */
const hierarchyCases: BadInput[] = ([
  { name: 'an unknown parent', edits: { [project('minimal')]: json((c) => (c.implicitDependencies = ['bsae'])) }, line: /images\/minimal\/project\.json: implicitDependencies names unknown project "bsae" \(did you mean base\?\): fix the name or create the project/ },
  { name: 'a cycle', edits: { [project('base')]: json((c) => (c.implicitDependencies = ['minimal'])) }, line: /images\/base\/project\.json: the image hierarchy has a cycle \(base -> minimal -> base\): remove one of these implicitDependencies/ },
  { name: 'two parents', edits: { [project('geomatics')]: json((c) => (c.implicitDependencies = ['minimal', 'base'])) }, line: /images\/geomatics\/project\.json: geomatics has several parent images \(minimal, base\) in implicitDependencies: an image has exactly one parent; keep one/ },
  { name: 'a parent lacking the stream', edits: { [project('machine-learning')]: json((c) => (c.implicitDependencies = ['geomatics'])) }, line: /machine-learning:build-gpu builds on geomatics, which has no build-gpu target: add "gpu" to metadata\.streams in images\/geomatics\/project\.json or remove it from metadata\.streams in images\/machine-learning\/project\.json/ },
  { name: 'a parent that is no image', edits: { [project('minimal')]: json((c) => (c.implicitDependencies = ['nx-plugin'])) }, line: /images\/minimal\/project\.json: implicitDependencies names nx-plugin, which is not an image \(no build-cpu or build-gpu target\), so minimal has no parent image: name its parent image instead \(one of base, / },
  { name: "an over-long image name on a leaf stops its parents' builds too", edits: { [project('r-studio')]: json((c) => (c.metadata.imageName = 'r'.repeat(308))) }, line: /images\/r-studio\/project\.json: metadata\.imageName="r+…r+ \(308 characters\)" is 308 characters long, over the limit of 200 \(registry, name and -<stream> suffix together are at most 255\): shorten it/ },
  { name: 'a project.json that is no JSON', edits: { [project('minimal')]: (text) => text.replace(/}\s*$/, ',}') }, line: /images\/minimal\/project\.json is not valid JSON \(.*\): fix the file/ },
  { name: 'a target that is no object', edits: { [project('minimal')]: json((c) => (c.targets = { 'build-cpu': 'yes' })) }, line: /images\/minimal\/project\.json: targets\["build-cpu"\] is "yes", not an object: write "build-cpu": \{ "options": \{ … \} \} or remove it/ },
  { name: 'a parallelism of 0', args: ['--parallel=0'], line: /--parallel=0 is not a number of tasks to run at once \(Nx would run none\): use a whole number of 1 or more, or leave it out/ },
  { name: 'a parallelism that is no number', env: { NX_PARALLEL: 'abc' }, line: /environment variable NX_PARALLEL="abc" is not a number of tasks to run at once: use a whole number of 1 or more, or unset it/ },
  { name: 'two images with one image name', edits: { [project('geomatics')]: json((c) => (c.metadata.imageName = 'minimal-notebook')) }, line: /images\/minimal\/project\.json: metadata\.imageName "minimal-notebook" is already the image name of geomatics \(images\/geomatics\/project\.json\), and both would push to the same repository: give minimal its own imageName/ },
  { name: 'no parent', edits: { [project('minimal')]: json((c) => (c.implicitDependencies = [])) }, line: /images\/minimal\/project\.json: minimal has no parent image: name its parent project in implicitDependencies/ },
] as BadInput[]).map((input) => ({ project: 'minimal', ...input }));

const recordPath = (name: string) => join(workspace.root, 'dist', 'images', name, 'cpu.json');

/** Applies the edits, runs `fn`, and puts every file back as it was. */
function withEdits<T>(edits: Record<string, Edit>, fn: () => T): T {
  const originals = Object.keys(edits).map((file) => [file, readFileSync(join(workspace.root, file), 'utf8')] as const);
  try {
    for (const [file, text] of originals) {
      const changed = edits[file](text);
      if (changed === null) rmSync(join(workspace.root, file));
      else writeFileSync(join(workspace.root, file), changed);
    }
    return fn();
  } finally {
    for (const [file, text] of originals) writeFileSync(join(workspace.root, file), text);
  }
}

/** Non-zero exit, the expected line exactly once, no stack trace. */
function expectOneLineFailure(result: NxResult, line: RegExp): void {
  const context = `nx exited ${result.status}; output:\n${result.output.slice(-3000)}`;
  expect({ failed: result.status !== 0, context }).toEqual({ failed: true, context });
  const matching = result.output.split('\n').filter((text) => line.test(text));
  expect({ lines: matching.length, context }).toEqual({ lines: 1, context });
  expect(matching[0].length).toBeLessThan(600);
  expect(result.output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** What the baseline plan printed, in Nx's default output style. */
let baselineOutput: string;

beforeAll(() => {
  workspace = createTempWorkspace('kf-bad-input-');
  // The baseline: the workspace as committed plans cleanly, and leaves the parents' records the cases build on.
  baselineOutput = workspace.nxOk(['run-many', '-t', 'build-cpu', '-c', 'plan']);
});

it("a plan shows what it planned in Nx's default output style, which folds the output of tasks that succeed", () => {
  const images = JSON.parse(workspace.nxOk(['show', 'projects', '--with-target', 'build-cpu', '--json'], IN_PROCESS_PLUGINS)) as string[];
  expect(images.length).toBeGreaterThan(1);
  for (const image of images) {
    const { image: reference } = readRecordIn(workspace.root, image)!;
    expect(baselineOutput).toContain(`${image}:build-cpu | [plan] ${reference} FROM `);
  }
});

afterAll(() => workspace?.remove());

describe.each([
  ['settings', settingsCases],
  ['images', imageCases],
  ['hierarchy', hierarchyCases],
])('bad %s input in plan mode', (group, cases) => {
  it.each(cases.map((input) => [input.name, input] as const))('%s', (_name, input) => {
    const target = input.project!;
    const record = recordPath(target);
    // The baseline's record goes away for the run (nothing may write it) and comes back for the next case.
    const baseline = readFileSync(record);
    rmSync(record);
    try {
      const env = group === 'hierarchy' ? input.env : { ...IN_PROCESS_PLUGINS, ...input.env };
      const result = withEdits(input.edits ?? {}, () =>
        workspace.nx(['run', `${target}:build-cpu`, '-c', 'plan', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static', ...(input.args ?? [])], env),
      );
      expectOneLineFailure(result, input.line);
      expect(existsSync(record)).toBe(false);
    } finally {
      writeFileSync(record, baseline);
    }
  });
});

describe('plan and lint agree', () => {
  const lint = () => workspace.nx(['run', 'geomatics:lint', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);
  const plan = () => workspace.nx(['run', 'geomatics:build-cpu', '-c', 'plan', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);

  it('lint refuses a 0-byte checks.json, naming the file, before any test needs it', () => {
    expectOneLineFailure(withEdits({ [checksFile('geomatics')]: () => '' }, lint), /^geomatics:lint: images\/geomatics\/tests\/checks\.json is not valid JSON \(Unexpected end of JSON input\): write \{/);
  });

  it('a plan says what lint fails on (the house rules), naming the same line, and still plans', () => {
    withEdits({ [dockerfile('geomatics')]: (text) => `${text}USER root\n` }, () => {
      const finding = /images\/geomatics\/Dockerfile:(\d+) last-user-notebook the last USER is root/;
      const linted = lint();
      expect(linted.status).not.toBe(0);
      const planned = plan();
      expectNxSuccess(planned);
      expect(planned.output).toMatch(new RegExp(`warning: ${finding.source}.*\\(geomatics:lint fails on this\\)`));
      expect(finding.exec(planned.output)![1]).toBe(finding.exec(linted.output)![1]);
    });
  });
});

describe('a broken hierarchy stops every Nx command, not only builds', () => {
  const cycle = { [project('base')]: json((c) => (c.implicitDependencies = ['minimal'])) };
  const message = /images\/base\/project\.json: the image hierarchy has a cycle \(base -> minimal -> base\)/;

  it('show projects fails on a cycle, naming the project.json', () => {
    expectOneLineFailure(withEdits(cycle, () => workspace.nx(['show', 'projects'])), message);
  });

  it('graph names the project.json (Nx draws a partial graph and exits 0 on any plugin error, by design)', () => {
    const result = withEdits(cycle, () => workspace.nx(['graph', '--file=graph.json']));
    expect(result.output).toMatch(message);
    expect(result.output).toContain('occurred while processing the project graph. Showing partial graph.');
    rmSync(join(workspace.root, 'graph.json'), { force: true });
  });
});

describe('the image generator', () => {
  it('refuses an image name no engine accepts and writes nothing', () => {
    const result = workspace.nx(['g', '@kubeflow-images/nx-plugin:image', 'badname', '--parent=minimal', '--imageName=Bad Name!', '--no-interactive'], IN_PROCESS_PLUGINS);
    expectOneLineFailure(result, /--imageName="Bad Name!" is not an image name \(.*\): use lower-case letters/);
    expect(existsSync(join(workspace.root, 'images', 'badname'))).toBe(false);
  });

  it('refuses an image name another image is published under and writes nothing', () => {
    const result = workspace.nx(['g', '@kubeflow-images/nx-plugin:image', 'geo2', '--parent=minimal', '--imageName=geomatics-notebook', '--no-interactive'], IN_PROCESS_PLUGINS);
    expectOneLineFailure(result, /--imageName geomatics-notebook: geomatics \(images\/geomatics\/project\.json\) is published under that name already; choose another --imageName/);
    expect(existsSync(join(workspace.root, 'images', 'geo2'))).toBe(false);
  });
});

/**
 * A symlink in a build context is sent by the engine as the link itself. The
 * Nx key and the content tag must agree about it: whatever the link points
 * to, a plan replayed from the Nx cache carries the tag a fresh plan computes.
 */
/** geomatics' planned content tag (a plan Nx may replay from its cache unless `extra` says otherwise). */
const planTag = (...extra: string[]) => {
  rmSync(recordPath('geomatics'), { force: true });
  workspace.nxOk(['run', 'geomatics:build-cpu', '-c', 'plan', '--excludeTaskDependencies', '--output-style=static', ...extra], IN_PROCESS_PLUGINS);
  return readRecordIn(workspace.root, 'geomatics')!.contentTag;
};
/** The tag of a plan Nx may replay, and the tag of a fresh plan: they must be the same. */
const agreedTag = () => {
  const cached = planTag();
  expect(planTag('--skip-nx-cache')).toBe(cached);
  return cached;
};

describe('a symlink in a build context', () => {
  const link = () => join(workspace.root, 'images', 'geomatics', 'linked-settings');
  let outside: string;

  beforeAll(() => {
    outside = mkdtempSync(join(tmpdir(), 'kf-outside-context-'));
    writeFileSync(join(outside, 'settings.txt'), 'one\n');
  });

  afterAll(() => {
    rmSync(link(), { force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('to a file outside: changing that file changes neither the tag nor the Nx key; pointing the link elsewhere changes both', () => {
    symlinkSync(join(outside, 'settings.txt'), link());
    const linked = agreedTag();
    writeFileSync(join(outside, 'settings.txt'), 'two\n');
    expect(agreedTag()).toBe(linked);
    writeFileSync(join(outside, 'other.txt'), 'two\n');
    rmSync(link());
    symlinkSync(join(outside, 'other.txt'), link());
    expect(agreedTag()).not.toBe(linked);
  });

  it('dangling: plans, as the engine would send it', () => {
    rmSync(link(), { force: true });
    symlinkSync(join(outside, 'no-such-file'), link());
    agreedTag();
  });

  it('to a directory outside the context: plans, and what the directory holds is not part of the tag', () => {
    rmSync(link(), { force: true });
    symlinkSync(outside, link());
    const tag = agreedTag();
    writeFileSync(join(outside, 'new-file.txt'), 'x\n');
    expect(agreedTag()).toBe(tag);
    rmSync(join(outside, 'new-file.txt'));
  });
});

describe('a unix socket in a build context', () => {
  it('is named with the fix, in one line, and no record is written', async () => {
    const socket = join(workspace.root, 'images', 'geomatics', 'agent.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      rmSync(recordPath('geomatics'), { force: true });
      const result = workspace.nx(['run', 'geomatics:build-cpu', '-c', 'plan', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);
      expectOneLineFailure(result, /geomatics:build-cpu: build context: images\/geomatics\/agent\.sock is a unix socket, which an image cannot contain: move it out of the context or add "agent\.sock" to its \.dockerignore/);
      expect(existsSync(recordPath('geomatics'))).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(socket, { force: true });
    }
  });
});

describe('a build context its project.json names outside the image folder', () => {
  it('is part of the Nx key as of the content tag: a change there is planned anew, never replayed', () => {
    const shared = 'images/geomatics-context';
    for (const file of ['Dockerfile', '.dockerignore']) workspace.write(`${shared}/${file}`, readFileSync(join(workspace.root, 'images', 'geomatics', file), 'utf8'));
    try {
      withEdits({ [project('geomatics')]: json((c) => (c.targets = { 'build-cpu': { options: { context: shared } } })) }, () => {
        const before = agreedTag();
        workspace.write(`${shared}/settings.txt`, 'one\n');
        const after = agreedTag();
        expect(after).not.toBe(before);
      });
    } finally {
      rmSync(join(workspace.root, shared), { recursive: true, force: true });
    }
  });
});

describe('a configuration name no target defines', () => {
  const CONFIGURATION_TYPO = /-c plna: no target of this workspace has a configuration "plna" \(did you mean plan\?\), and Nx would run without one: use -c plan, or leave -c out/;

  it('is refused by a build before anything runs or is written, naming the likely name', () => {
    const record = recordPath('geomatics');
    rmSync(record, { force: true });
    const result = workspace.nx(['run', 'geomatics:build-cpu', '-c', 'plna', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);
    expectOneLineFailure(result, CONFIGURATION_TYPO);
    expect(existsSync(record)).toBe(false);
  });

  it('is refused by a target of every executor of the workspace plugin', () => {
    const executors = Object.keys(JSON.parse(readFileSync(join(workspace.root, 'tools', 'nx-plugin', 'executors.json'), 'utf8')).executors);
    const graphFile = join(workspace.root, 'graph.json');
    workspace.nxOk(['graph', `--file=${graphFile}`], IN_PROCESS_PLUGINS);
    const nodes = Object.values(JSON.parse(readFileSync(graphFile, 'utf8')).graph.nodes) as { name: string; data: { targets?: Record<string, { executor?: string }> } }[];
    rmSync(graphFile);
    const targetOf = (executor: string) =>
      nodes.flatMap((node) => Object.entries(node.data.targets ?? {}).filter(([, target]) => target.executor === `@kubeflow-images/nx-plugin:${executor}`).map(([name]) => `${node.name}:${name}`))[0];
    const tasks = executors.map((executor) => [executor, targetOf(executor)] as const);
    expect(tasks.filter(([, task]) => !task)).toEqual([]);
    for (const [, task] of tasks) {
      const result = workspace.nx(['run', task, '-c', 'plna', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);
      expectOneLineFailure(result, new RegExp(`^${task}: ${CONFIGURATION_TYPO.source}`));
    }
  });
});

describe('the compiled workspace plugin', () => {
  const source = 'tools/nx-plugin/src/lib/errors.ts';
  const plan = () => workspace.nx(['run', 'geomatics:build-cpu', '-c', 'plan', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);

  it('is fresh after a source is rewritten unchanged with a new time (a checkout), stale after its content changes', () => {
    const path = join(workspace.root, source);
    const later = new Date(Date.now() + 3_600_000);
    utimesSync(path, later, later);
    expectNxSuccess(plan());
    rmSync(recordPath('geomatics'));
    const result = withEdits({ [source]: (text) => `${text}// changed\n` }, plan);
    expectOneLineFailure(result, /geomatics:build-cpu: the compiled workspace plugin \(.*\) was compiled from other sources than tools\/nx-plugin\/src \(lib\/errors\.ts\): run npm run build:plugin/);
    expect(existsSync(recordPath('geomatics'))).toBe(false);
    expectNxSuccess(plan());
  });
});

describe('a real build on a plan', () => {
  it('refuses to build on a planned parent record', () => {
    rmSync(recordPath('minimal'), { force: true });
    const result = workspace.nx(['run', 'minimal:build-cpu', '--excludeTaskDependencies', '--skip-nx-cache', '--output-style=static'], IN_PROCESS_PLUGINS);
    expectOneLineFailure(result, /minimal:build-cpu cannot build on base's planned record \(plan mode built nothing\): run nx run base:build-cpu without -c plan first/);
    expect(existsSync(recordPath('minimal'))).toBe(false);
  });
});

/** The engine cannot pull the parent: real podman (own storage and login), the real registry. */
const UNPULLABLE_DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('engine failures pulling the parent', () => {
  let services: E2eServices;
  const machines: PodmanMachine[] = [];

  beforeAll(() => {
    services = readE2eServices();
  });

  afterAll(() => {
    for (const machine of machines) {
      // podman's overlay driver bind-mounts its own directory; unmount it (ours only) so the directory can go.
      spawnSync('umount', [join(machine.dir, 'storage', 'overlay')], { stdio: 'ignore' });
      rmSync(machine.dir, { recursive: true, force: true });
    }
  });

  const build = (pin: string, password?: string) => {
    const machine = createPodmanMachine(services, password);
    machines.push(machine);
    rmSync(recordPath('base'), { force: true });
    // A real build needs the pin locked; the engine fails before the digest matters.
    const lock = join(workspace.root, 'upstream-lock.json');
    const committedLock = readFileSync(lock, 'utf8');
    writeFileSync(lock, fixtureCpuLock(pin, UNPULLABLE_DIGEST));
    try {
      const result = workspace.nx(['run', 'base:build-cpu', '--skip-nx-cache', '--output-style=static'], {
        ...machine.env,
        IMAGE_ENGINE: 'podman',
        UPSTREAM_CONTAINER_CPU: pin,
      });
      expect(existsSync(recordPath('base'))).toBe(false);
      return result;
    } finally {
      writeFileSync(lock, committedLock);
    }
  };

  it('names the parent and the registry that is not reachable', () => {
    expectOneLineFailure(
      build('localhost:1/bad-input/parent:1'),
      /base:build-cpu: podman cannot pull the parent localhost:1\/bad-input\/parent:1@sha256:[0-9a-f]{64}: registry localhost:1 is not reachable \(.*connection refused\): start it or fix its address/,
    );
  });

  it('tells a refused login from a missing image', () => {
    const parent = `${services.registry}/bad-input/parent:1`;
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    expectOneLineFailure(
      build(parent, 'not-the-password'),
      new RegExp(`base:build-cpu: podman cannot pull the parent ${escaped(parent)}@sha256:[0-9a-f]{64}: registry ${escaped(services.registry)} refused access \\(.*\\): run \`podman login ${escaped(services.registry)}\``),
    );
    expectOneLineFailure(
      build(parent),
      new RegExp(`base:build-cpu: podman cannot pull the parent ${escaped(parent)}@sha256:[0-9a-f]{64}: registry ${escaped(services.registry)} has no such image \\(.*manifest unknown\\): build and push the parent first`),
    );
  });
});
