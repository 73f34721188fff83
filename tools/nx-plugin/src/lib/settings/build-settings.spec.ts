import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  booleanSetting,
  loadBuildSettings,
  OPTIONAL_SETTINGS,
  SETTINGS,
  settingsEnvInputs,
  optionalSetting,
  parseBuildSettings,
  REQUIRED_SETTINGS,
  SETTINGS_FILE,
  settingsBuildArgs,
} from './build-settings';
import { configurationErrorOf } from '../testing/configuration-error';
import { VALID_PIN_LINES } from '../testing/settings-pins';
import { withTempDir } from '../testing/temp-dir';

const FILE = 'build_settings.env';

/** A complete, valid settings file; tests change one thing at a time. */
const VALID = [
  '# pins',
  ...VALID_PIN_LINES,
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

  it('refuses a reference to a variable set only below it, naming both lines and the fix', () => {
    const text = `${withLine(VALID, 'IMAGE_REGISTRY', 'IMAGE_REGISTRY=${CUSTOM_ACR}.azurecr.io')}\nCUSTOM_ACR=myacr\n`;
    const lines = text.split('\n');
    const use = lines.findIndex((l) => l.startsWith('IMAGE_REGISTRY=')) + 1;
    const definition = lines.findIndex((l) => l.startsWith('CUSTOM_ACR=')) + 1;
    expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toBe(
      `${FILE}:${use}: IMAGE_REGISTRY refers to $CUSTOM_ACR, which is set only below it (line ${definition}), and a reference sees only the lines above it: move CUSTOM_ACR=… above line ${use}`,
    );
    expect(parseBuildSettings(text, FILE, { CUSTOM_ACR: 'fromenv' }).values.IMAGE_REGISTRY).toBe('fromenv.azurecr.io');
  });

  it('takes a required key from the environment when the file lacks it', () => {
    const text = withLine(VALID, 'GPU_JUPYTER_HEAD_COMMIT', null);
    const settings = parseBuildSettings(text, FILE, { GPU_JUPYTER_HEAD_COMMIT: 'a'.repeat(40) });
    expect(settings.values.GPU_JUPYTER_HEAD_COMMIT).toBe('a'.repeat(40));
  });

  it.each(['main', 'v1.9_cuda-12.5_ubuntu-22.04', '01eff8a9a3bc', '01EFF8A9A3BC05191B07077083A857F78EDECE92'])(
    'refuses GPU_JUPYTER_HEAD_COMMIT=%s, which is no full commit (a branch or tag moves under the pin)',
    (value) => {
      const text = withLine(VALID, 'GPU_JUPYTER_HEAD_COMMIT', `GPU_JUPYTER_HEAD_COMMIT=${value}`);
      const lineNumber = text.split('\n').findIndex((l) => l.startsWith('GPU_JUPYTER_HEAD_COMMIT')) + 1;
      expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toBe(
        `${FILE}:${lineNumber}: GPU_JUPYTER_HEAD_COMMIT="${value}" is not a full commit: use the commit's 40 hex digits (run \`git rev-parse <branch>\` in a gpu-jupyter clone)`,
      );
      expect(configurationErrorOf(() => parseBuildSettings(VALID, FILE, { GPU_JUPYTER_HEAD_COMMIT: value })).message).toMatch(
        /^environment variable GPU_JUPYTER_HEAD_COMMIT=".*" is not a full commit/,
      );
    },
  );

  it('rejects a malformed line, naming file:line', () => {
    const text = VALID.replace('DOCKER_STACKS_REPO=', 'DOCKER_STACKS_REPO ');
    const lineNumber = text.split('\n').findIndex((l) => l.startsWith('DOCKER_STACKS_REPO')) + 1;
    const error = configurationErrorOf(() => parseBuildSettings(text, FILE, {}));
    expect(error.message).toContain(`${FILE}:${lineNumber}:`);
    expect(error.message).toContain('"DOCKER_STACKS_REPO https://github.com/ju…r-stacks.git (63 characters)"');
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
    expect(error.message).toContain('the value of DOCKER_STACKS_REPO opens a " quote that is never closed: add the closing "');
  });

  it('accepts a quoted value and strips its quotes', () => {
    const text = withLine(VALID, 'DOCKER_STACKS_REPO', 'DOCKER_STACKS_REPO="/path with spaces/docker-stacks"');
    expect(parseBuildSettings(text, FILE, {}).values.DOCKER_STACKS_REPO).toBe('/path with spaces/docker-stacks');
  });
});

describe('parseBuildSettings rejects bad input with one line naming the place', () => {
  const lineOf = (text: string, key: string) => text.split('\n').findIndex((l) => l.startsWith(`${key}=`)) + 1;

  it('an unknown key, suggesting the known one', () => {
    const text = `${VALID}IMAGE_REGISTERY=myacr.azurecr.io\n`;
    expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toBe(
      `${FILE}:${lineOf(text, 'IMAGE_REGISTERY')}: unknown setting IMAGE_REGISTERY (did you mean IMAGE_REGISTRY?): fix the name, or prefix your own variables with CUSTOM_`,
    );
  });

  it('accepts the documented prefix for the user\'s own variables', () => {
    const text = withLine(`CUSTOM_MIRROR=mirror.local\n${VALID}`, 'UPSTREAM_CONTAINER_CPU', 'UPSTREAM_CONTAINER_CPU=${CUSTOM_MIRROR}/datascience-notebook:x');
    expect(parseBuildSettings(text, FILE, {}).values.UPSTREAM_CONTAINER_CPU).toBe('mirror.local/datascience-notebook:x');
  });

  it('a duplicate key, naming both lines', () => {
    const text = `${VALID}IMAGE_ENGINE=podman\n`;
    const lines = text.split('\n').flatMap((l, i) => (l.startsWith('IMAGE_ENGINE=') ? [i + 1] : []));
    expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toBe(
      `${FILE}:${lines[0]} and ${FILE}:${lines[1]} both set IMAGE_ENGINE (the last would win silently): keep one of them`,
    );
  });

  it.each(['maybe', 'yes', '1', 'TRUE'])('a boolean that is not true/false (%s)', (value) => {
    expect(configurationErrorOf(() => parseBuildSettings(VALID, FILE, { IMAGE_PUSH: value })).message).toBe(
      `environment variable IMAGE_PUSH="${value}" is not a boolean: use true or false`,
    );
  });

  it('IMAGE_LAYER_CACHE is a boolean too, in the file or the environment', () => {
    expect(configurationErrorOf(() => parseBuildSettings(VALID, FILE, { IMAGE_LAYER_CACHE: 'off' })).message).toBe(
      'environment variable IMAGE_LAYER_CACHE="off" is not a boolean: use true or false',
    );
    expect(configurationErrorOf(() => parseBuildSettings(`${VALID}IMAGE_LAYER_CACHE=no\n`, FILE, {})).message).toMatch(/^build_settings\.env:\d+: IMAGE_LAYER_CACHE="no" is not a boolean: use true or false$/);
    expect(parseBuildSettings(VALID, FILE, { IMAGE_LAYER_CACHE: 'false' }).values.IMAGE_LAYER_CACHE).toBe('false');
  });

  it('accepts true, false and empty booleans', () => {
    for (const value of ['true', 'false', '']) expect(() => parseBuildSettings(VALID, FILE, { IMAGE_PUSH: value })).not.toThrow();
  });

  it.each(['IMAGE_TAG_LATEST', 'IMAGE_HUMAN_TAGS'])('a removed setting (%s) says what replaced it', (key) => {
    const text = `${VALID}\n${key}=true\n`;
    expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toMatch(new RegExp(`^${FILE}:\\d+: ${key} was removed: .*promotion.*Delete the line$`));
  });

  it.each(['2026-13-01', '2026-02-30', '01.12.2026', 'yesterday'])('a rebuild date that is not a day (%s), naming the line', (date) => {
    const text = `${VALID}IMAGE_REBUILD_DATE=${date}\n`;
    expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toBe(
      `${FILE}:${lineOf(text, 'IMAGE_REBUILD_DATE')}: IMAGE_REBUILD_DATE="${date}" is not a date: use YYYY-MM-DD (e.g. 2026-12-01)`,
    );
  });

  it('gives every image the rebuild date as a build arg, and none when it is unset', () => {
    expect(settingsBuildArgs(parseBuildSettings(`${VALID}IMAGE_REBUILD_DATE=2024-02-29\n`, FILE, {}))).toEqual({ IMAGE_REBUILD_DATE: '2024-02-29' });
    expect(settingsBuildArgs(parseBuildSettings(VALID, FILE, {}))).toEqual({});
  });

  it('an unknown engine, in the file', () => {
    const text = withLine(VALID, 'IMAGE_ENGINE', 'IMAGE_ENGINE=dokcer');
    expect(configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message).toBe(
      `${FILE}:${lineOf(text, 'IMAGE_ENGINE')}: IMAGE_ENGINE="dokcer" is not an engine (did you mean docker?): use docker, podman, auto`,
    );
  });

  it.each([
    ['Not A Ref!!', 'is not an image reference ("Not A Ref!!" is not a valid repository name component'],
    ['quay.io/jupyter/datascience-notebook:abc def', 'is not a valid tag'],
    [`quay.io/jupyter/datascience-notebook:${'a'.repeat(200_000)}`, '200037 characters, more than any valid reference'],
  ])('a pin that no engine accepts (%#)', (pin, reason) => {
    const text = withLine(VALID, 'UPSTREAM_CONTAINER_CPU', `UPSTREAM_CONTAINER_CPU=${pin}`);
    const message = configurationErrorOf(() => parseBuildSettings(text, FILE, {})).message;
    expect(message).toContain(`${FILE}:${lineOf(text, 'UPSTREAM_CONTAINER_CPU')}: UPSTREAM_CONTAINER_CPU="`);
    expect(message).toContain(reason);
    expect(message).toContain('use [registry/]repository[:tag][@digest]');
    expect(message.length).toBeLessThan(400);
  });

  it('a pin built from a bad part, from the environment', () => {
    expect(configurationErrorOf(() => parseBuildSettings(VALID, FILE, { UPSTREAM_CONTAINER_CPU_UNTAGGED: 'Quay.io/x/Y' })).message).toMatch(
      /^environment variable UPSTREAM_CONTAINER_CPU_UNTAGGED="Quay.io\/x\/Y" is not an image reference/,
    );
  });

  it.each([
    ['https://myacr.azurecr.io', 'a URL scheme is not part of an image name'],
    ['my acr.azurecr.io', 'is not a registry host'],
    ['myacr.azurecr.io/MyTeam', 'image names are lower case'],
    ['myacr.azurecr.io:5000:1', 'is not a registry host'],
  ])('an IMAGE_REGISTRY no engine accepts (%s)', (registry, reason) => {
    const message = configurationErrorOf(() => parseBuildSettings(VALID, FILE, { IMAGE_REGISTRY: registry })).message;
    expect(message).toContain(`environment variable IMAGE_REGISTRY="${registry}" is not a registry (`);
    expect(message).toContain(reason);
    expect(message).toContain('use host[:port][/namespace] in lower case without a scheme');
  });

  it.each(['myacr.azurecr.io', 'localhost:5000/team', '127.0.0.1:5000', 'myacr.azurecr.io/'])('accepts IMAGE_REGISTRY=%s', (registry) => {
    expect(() => parseBuildSettings(VALID, FILE, { IMAGE_REGISTRY: registry })).not.toThrow();
  });
});

describe('loadBuildSettings', () => {
  let root: string;
  withTempDir('build-settings-', (dir) => (root = dir));

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

  it('reads a command substitution as text and never runs it, bare, quoted or through a reference', () => {
    const marker = join(root, 'ran');
    const command = `$(touch ${marker})`;
    const text = [
      `CUSTOM_BARE=${command}`,
      `CUSTOM_QUOTED="${command}"`,
      `CUSTOM_BACKTICKS=\`touch ${marker}\``,
      withLine(VALID, 'IMAGE_ENGINE', 'IMAGE_ENGINE=auto'),
      `CUSTOM_REFERENCE=\${CUSTOM_BARE}`,
    ].join('\n');
    writeFileSync(join(root, SETTINGS_FILE), text);
    const { values } = loadBuildSettings(root, {});
    expect(existsSync(marker)).toBe(false);
    expect(values.CUSTOM_BARE).toBe(command);
    expect(values.CUSTOM_QUOTED).toBe(command);
    expect(values.CUSTOM_BACKTICKS).toBe(`touch ${marker}`); // dotenv reads backticks as quotes
    expect(values.CUSTOM_REFERENCE).toBe(command);
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

describe('booleanSetting', () => {
  it('gives the default of an unset or empty boolean: push off, the layer cache on', () => {
    const settings = parseBuildSettings(VALID, FILE, {});
    expect(booleanSetting(settings, 'IMAGE_PUSH')).toBe(false);
    expect(booleanSetting(settings, 'IMAGE_LAYER_CACHE')).toBe(true);
    expect(booleanSetting(parseBuildSettings(VALID, FILE, { IMAGE_LAYER_CACHE: '' }), 'IMAGE_LAYER_CACHE')).toBe(true);
    expect(booleanSetting(parseBuildSettings(VALID, FILE, { IMAGE_LAYER_CACHE: 'false' }), 'IMAGE_LAYER_CACHE')).toBe(false);
  });

  it('reads IMAGE_RUNTIME and IMAGE_BRANCH like every other setting: the environment wins over the file', () => {
    const settings = parseBuildSettings(`${VALID}IMAGE_RUNTIME=podman\nIMAGE_BRANCH=release\n`, FILE, { IMAGE_BRANCH: 'main' });
    expect(optionalSetting(settings, 'IMAGE_RUNTIME')).toBe('podman');
    expect(optionalSetting(settings, 'IMAGE_BRANCH')).toBe('main');
  });
});

describe('settingsEnvInputs', () => {
  const keys = (inputs: { env: string }[]) => inputs.map((input) => input.env);

  it('leaves the gpu-only pins out of the cpu stream, and the cpu upstream out of the gpu stream', () => {
    const cpu = keys(settingsEnvInputs('cpu', 'build'));
    const gpu = keys(settingsEnvInputs('gpu', 'build'));
    expect(cpu).toEqual(expect.arrayContaining(['UPSTREAM_CONTAINER_CPU', 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT', 'IMAGE_REGISTRY', 'IMAGE_PUSH']));
    expect(cpu).not.toContain('GPU_JUPYTER_HEAD_COMMIT');
    expect(gpu).toEqual(expect.arrayContaining(['GPU_JUPYTER_HEAD_COMMIT', 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT', 'IMAGE_REGISTRY']));
    expect(gpu).not.toContain('UPSTREAM_CONTAINER_CPU');
  });

  it('puts what generation reads into the key of generate, and the runtime into the key of test only', () => {
    expect(keys(settingsEnvInputs('gpu', 'generate')).sort()).toEqual(
      ['DOCKER_STACKS_REPO', 'GPU_JUPYTER_HEAD_COMMIT', 'GPU_JUPYTER_REPO', 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT'],
    );
    expect(keys(settingsEnvInputs('cpu', 'generate'))).toEqual(['UPSTREAM_CONTAINER_CPU_HEAD_COMMIT']);
    for (const stream of ['cpu', 'gpu'] as const) {
      expect(keys(settingsEnvInputs(stream, 'test'))).toEqual(['IMAGE_RUNTIME']);
      expect(keys(settingsEnvInputs(stream, 'build'))).not.toContain('IMAGE_RUNTIME');
    }
  });

  const everyKey = (key: string) =>
    (['cpu', 'gpu', 'both'] as const).some((stream) => (['build', 'generate', 'parity', 'test'] as const).some((cacheKey) => keys(settingsEnvInputs(stream, cacheKey)).includes(key)));

  it("leaves the settings that change no output out of every key: the layer cache and its default branch, the build's branch", () => {
    for (const key of ['IMAGE_LAYER_CACHE', 'IMAGE_DEFAULT_BRANCH', 'IMAGE_BRANCH']) expect(everyKey(key)).toBe(false);
  });

  it('puts every other known setting into some key', () => {
    const withKey = [...REQUIRED_SETTINGS, ...OPTIONAL_SETTINGS].filter((key) => SETTINGS[key].cacheKeys.length > 0);
    expect(withKey.length).toBeGreaterThan(10);
    expect(withKey.filter((key) => !everyKey(key))).toEqual([]);
  });
});

describe('IMAGE_* settings', () => {
  const toolsRoot = resolve(__dirname, '../../../..');
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' || entry.name === 'e2e' ? [] : sources(path);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
    });

  it('are read through the settings module only, never straight from the environment', () => {
    const direct = sources(toolsRoot).flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/\benv\s*(\.\s*|\[\s*['"`])IMAGE_[A-Z_]+/.test(line) ? [`${relative(toolsRoot, file)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(direct).toEqual([]);
  });
});
