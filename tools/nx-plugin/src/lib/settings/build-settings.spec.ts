import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  loadBuildSettings,
  optionalSetting,
  parseBuildSettings,
  REQUIRED_SETTINGS,
  SETTINGS_FILE,
} from './build-settings';
import { configurationErrorOf } from '../testing/configuration-error';

const FILE = 'build_settings.env';

/** A complete, valid settings file; tests change one thing at a time. */
const VALID = [
  '# pins',
  'UPSTREAM_CONTAINER_CPU_UNTAGGED=quay.io/jupyter/datascience-notebook',
  'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=abc123def456',
  'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
  'DOCKER_STACKS_REPO=https://github.com/jupyter/docker-stacks.git',
  'GPU_JUPYTER_REPO=https://github.com/iot-salzburg/gpu-jupyter.git',
  'GPU_JUPYTER_HEAD_COMMIT=0000000000000000000000000000000000000000',
  'IMAGE_REGISTRY=',
  'IMAGE_ENGINE=auto',
  '',
].join('\n');

function withLine(text: string, key: string, line: string | null): string {
  return text
    .split('\n')
    .flatMap((l) => (l.startsWith(`${key}=`) ? (line === null ? [] : [line]) : [l]))
    .join('\n');
}

describe('parseBuildSettings', () => {
  it('expands ${VAR} references: UPSTREAM_CONTAINER_CPU is UNTAGGED:HEAD_COMMIT', () => {
    const settings = parseBuildSettings(VALID, FILE, {});
    expect(settings.file).toBe(FILE);
    expect(settings.values.UPSTREAM_CONTAINER_CPU).toBe('quay.io/jupyter/datascience-notebook:abc123def456');
    expect(settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT).toBe('abc123def456');
    expect(settings.values.IMAGE_ENGINE).toBe('auto');
  });

  it('expands bare $VAR references', () => {
    const text = withLine(
      VALID,
      'UPSTREAM_CONTAINER_CPU',
      'UPSTREAM_CONTAINER_CPU=$UPSTREAM_CONTAINER_CPU_UNTAGGED:$UPSTREAM_CONTAINER_CPU_HEAD_COMMIT',
    );
    expect(parseBuildSettings(text, FILE, {}).values.UPSTREAM_CONTAINER_CPU).toBe(
      'quay.io/jupyter/datascience-notebook:abc123def456',
    );
  });

  it('lets an environment variable override a key of the file', () => {
    const settings = parseBuildSettings(VALID, FILE, {
      IMAGE_ENGINE: 'podman',
      GPU_JUPYTER_HEAD_COMMIT: '1111111111111111111111111111111111111111',
    });
    expect(settings.values.IMAGE_ENGINE).toBe('podman');
    expect(settings.values.GPU_JUPYTER_HEAD_COMMIT).toBe('1111111111111111111111111111111111111111');
    // untouched keys keep the file's value
    expect(settings.values.DOCKER_STACKS_REPO).toBe('https://github.com/jupyter/docker-stacks.git');
  });

  it('lets the environment override a reference itself', () => {
    const settings = parseBuildSettings(VALID, FILE, { UPSTREAM_CONTAINER_CPU: 'localhost:5000/root:pinned' });
    expect(settings.values.UPSTREAM_CONTAINER_CPU).toBe('localhost:5000/root:pinned');
  });

  it('expands references after overrides: overriding HEAD_COMMIT changes UPSTREAM_CONTAINER_CPU', () => {
    const settings = parseBuildSettings(VALID, FILE, { UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: 'fedcba987654' });
    expect(settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT).toBe('fedcba987654');
    expect(settings.values.UPSTREAM_CONTAINER_CPU).toBe('quay.io/jupyter/datascience-notebook:fedcba987654');
  });

  it('does not modify the environment object it is given', () => {
    const env = { IMAGE_ENGINE: 'podman' };
    parseBuildSettings(VALID, FILE, env);
    expect(env).toEqual({ IMAGE_ENGINE: 'podman' });
  });

  it('accepts an empty IMAGE_REGISTRY and absent optional keys', () => {
    const withoutEngine = withLine(VALID, 'IMAGE_ENGINE', null);
    const settings = parseBuildSettings(withoutEngine, FILE, {});
    expect(optionalSetting(settings, 'IMAGE_REGISTRY')).toBe('');
    expect(optionalSetting(settings, 'IMAGE_ENGINE')).toBe('');

    const withoutBoth = withLine(withoutEngine, 'IMAGE_REGISTRY', null);
    expect(optionalSetting(parseBuildSettings(withoutBoth, FILE, {}), 'IMAGE_REGISTRY')).toBe('');
  });

  it('takes an optional key from the environment when the file lacks it', () => {
    const text = withLine(VALID, 'IMAGE_REGISTRY', null);
    const settings = parseBuildSettings(text, FILE, { IMAGE_REGISTRY: 'myacr.azurecr.io' });
    expect(optionalSetting(settings, 'IMAGE_REGISTRY')).toBe('myacr.azurecr.io');
  });

  it('takes a required key from the environment when the file lacks it', () => {
    const text = withLine(VALID, 'GPU_JUPYTER_HEAD_COMMIT', null);
    const settings = parseBuildSettings(text, FILE, { GPU_JUPYTER_HEAD_COMMIT: 'from-env' });
    expect(settings.values.GPU_JUPYTER_HEAD_COMMIT).toBe('from-env');
  });

  it('rejects a malformed line, naming file:line', () => {
    const text = VALID.replace('DOCKER_STACKS_REPO=', 'DOCKER_STACKS_REPO ');
    const lineNumber = text.split('\n').findIndex((l) => l.startsWith('DOCKER_STACKS_REPO')) + 1;
    const error = configurationErrorOf(() => parseBuildSettings(text, FILE, {}));
    expect(error.message).toContain(`${FILE}:${lineNumber}:`);
    expect(error.message).toContain('DOCKER_STACKS_REPO https://github.com/jupyter/docker-stacks.git');
    expect(error.message).toContain('KEY=value');
  });

  it('accepts comments, blank lines and export prefixes', () => {
    const text = `# leading comment\n\n   # indented comment\nexport IMAGE_REGISTRY=myacr.azurecr.io\n${withLine(VALID, 'IMAGE_REGISTRY', null)}`;
    expect(parseBuildSettings(text, FILE, {}).values.IMAGE_REGISTRY).toBe('myacr.azurecr.io');
  });

  it.each(REQUIRED_SETTINGS.filter((key) => key !== 'UPSTREAM_CONTAINER_CPU'))(
    'rejects a missing required key %s, naming it',
    (key) => {
      // UPSTREAM_CONTAINER_CPU refers to the other two pins; keep it resolvable.
      let text = withLine(VALID, key, null);
      if (key.startsWith('UPSTREAM_CONTAINER_CPU_')) text = withLine(text, 'UPSTREAM_CONTAINER_CPU', 'UPSTREAM_CONTAINER_CPU=x:y');
      const error = configurationErrorOf(() => parseBuildSettings(text, FILE, {}));
      expect(error.message).toContain(FILE);
      expect(error.message).toContain(`required setting ${key} `);
    },
  );

  it('rejects a required key that is present but empty', () => {
    const error = configurationErrorOf(() => parseBuildSettings(withLine(VALID, 'GPU_JUPYTER_REPO', 'GPU_JUPYTER_REPO='), FILE, {}));
    expect(error.message).toContain('GPU_JUPYTER_REPO');
  });

  it('rejects a reference to an undefined variable, naming the key and the variable', () => {
    const text = withLine(VALID, 'UPSTREAM_CONTAINER_CPU', 'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGED}:latest');
    const error = configurationErrorOf(() => parseBuildSettings(text, FILE, {}));
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('UPSTREAM_CONTAINER_CPU refers to $UPSTREAM_CONTAINER_CPU_UNTAGED');
  });

  it('accepts a reference to a variable that only the environment defines', () => {
    const text = withLine(VALID, 'UPSTREAM_CONTAINER_CPU', 'UPSTREAM_CONTAINER_CPU=$MIRROR/datascience-notebook:x');
    expect(parseBuildSettings(text, FILE, { MIRROR: 'mirror.local' }).values.UPSTREAM_CONTAINER_CPU).toBe(
      'mirror.local/datascience-notebook:x',
    );
  });

  it('rejects an unterminated quote, naming the file and the line the quote opens on', () => {
    const text = withLine(VALID, 'DOCKER_STACKS_REPO', 'DOCKER_STACKS_REPO="https://github.com/jupyter/docker-stacks.git');
    const lineNumber = text.split('\n').findIndex((l) => l.startsWith('DOCKER_STACKS_REPO')) + 1;
    const error = configurationErrorOf(() => parseBuildSettings(text, FILE, {}));
    expect(error.message).toContain(`${FILE}:${lineNumber}:`);
    expect(error.message).toContain('unterminated');
  });

  it('accepts a quoted value and strips its quotes', () => {
    const text = withLine(VALID, 'DOCKER_STACKS_REPO', 'DOCKER_STACKS_REPO="/path with spaces/docker-stacks"');
    expect(parseBuildSettings(text, FILE, {}).values.DOCKER_STACKS_REPO).toBe('/path with spaces/docker-stacks');
  });
});

describe('loadBuildSettings', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'build-settings-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads build_settings.env at the workspace root, with environment overrides', () => {
    writeFileSync(join(root, SETTINGS_FILE), VALID);
    const settings = loadBuildSettings(root, { IMAGE_REGISTRY: 'myacr.azurecr.io/' });
    expect(settings.file).toBe('build_settings.env');
    expect(settings.values.UPSTREAM_CONTAINER_CPU).toBe('quay.io/jupyter/datascience-notebook:abc123def456');
    expect(settings.values.IMAGE_REGISTRY).toBe('myacr.azurecr.io/');
  });

  it('names build_settings.env when the file is missing', () => {
    const error = configurationErrorOf(() => loadBuildSettings(root, {}));
    expect(error.message).toContain('build_settings.env');
    expect(error.message).toContain('not found');
    expect(error.message).toContain(root);
  });

  it('reports errors with the file name relative to the workspace root', () => {
    writeFileSync(join(root, SETTINGS_FILE), `${VALID}not a setting\n`);
    const error = configurationErrorOf(() => loadBuildSettings(root, {}));
    expect(error.message).toMatch(/^build_settings\.env:\d+: /);
    expect(error.message).not.toContain(root);
  });

  it("loads the repository's real build_settings.env with every required key", () => {
    const workspaceRoot = resolve(__dirname, '../../../../..');
    const settings = loadBuildSettings(workspaceRoot, {});
    for (const key of REQUIRED_SETTINGS) expect(settings.values[key]).toEqual(expect.any(String));
    for (const key of REQUIRED_SETTINGS) expect(settings.values[key].length).toBeGreaterThan(0);
    expect(settings.values.UPSTREAM_CONTAINER_CPU).toBe(
      `${settings.values.UPSTREAM_CONTAINER_CPU_UNTAGGED}:${settings.values.UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}`,
    );
  });
});
