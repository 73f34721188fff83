import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'dotenv';
import { expand } from 'dotenv-expand';
import { didYouMean } from '../did-you-mean';
import { ENGINE_CHOICES } from '../engine/choose-engine';
import { BuildConfigurationError, quoted } from '../errors';
import { SETTINGS } from './setting-scopes';
import { checkImageReference, checkRegistryPrefix, checkRepositoryName } from '../registry/image-reference';

export const SETTINGS_FILE = 'build_settings.env';

/** Keys every build needs; a missing one is a configuration error. */
export const REQUIRED_SETTINGS = [
  'UPSTREAM_CONTAINER_CPU_UNTAGGED',
  'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT',
  'UPSTREAM_CONTAINER_CPU',
  'DOCKER_STACKS_REPO',
  'GPU_JUPYTER_REPO',
  'GPU_JUPYTER_HEAD_COMMIT',
] as const;

/** Keys that may be empty or absent. */
export const OPTIONAL_SETTINGS = [
  'IMAGE_REGISTRY',
  'IMAGE_ENGINE',
  'IMAGE_PUSH',
  'IMAGE_REBUILD_DATE',
  'IMAGE_BRANCH',
  'IMAGE_RUNTIME',
  'IMAGE_LAYER_CACHE',
  'IMAGE_DEFAULT_BRANCH',
] as const;

/**
 * The date (YYYY-MM-DD) our own layers were last rebuilt for fixed packages:
 * a build arg of every image, consumed before its install steps, so moving it
 * changes every content tag and misses every layer cache below it.
 */
export const REBUILD_DATE_SETTING = 'IMAGE_REBUILD_DATE';

/** Settings that are `true` or `false` (empty or unset: their default, see SETTINGS). */
export const BOOLEAN_SETTINGS = ['IMAGE_PUSH', 'IMAGE_LAYER_CACHE'] as const;

/** Settings that no longer exist, with what replaced them: a file that still sets one gets this, not "unknown". */
const REMOVED_SETTINGS: Record<string, string> = {
  IMAGE_TAG_LATEST: 'a build pushes its content tag only; latest, the branch tag and the sha tags move only in promotion (tools/ci/promote.ts), onto tested digests',
  IMAGE_HUMAN_TAGS: 'a build pushes its content tag only; human tags move only in promotion (tools/ci/promote.ts), onto tested digests',
};

/**
 * The file may hold the user's own variables (e.g. parts that `$VAR`
 * references assemble) under this prefix; any other unknown key is a typo.
 */
export const CUSTOM_SETTING_PREFIX = 'CUSTOM_';

export type SettingKey = (typeof REQUIRED_SETTINGS)[number] | (typeof OPTIONAL_SETTINGS)[number];

export { SETTINGS, settingsEnvInputs, type SettingCacheKey, type SettingInfo, type SettingScope } from './setting-scopes';

/** Settings that never change what a build produces (whether it reads a layer cache, which runtime tests it): part of no build's or generation's key. */
export const RUN_ONLY_SETTINGS: readonly SettingKey[] = (Object.keys(SETTINGS) as SettingKey[]).filter(
  (key) => !SETTINGS[key].cacheKeys.some((cacheKey) => cacheKey === 'build' || cacheKey === 'generate'),
);

const KNOWN_SETTINGS: readonly string[] = [...REQUIRED_SETTINGS, ...OPTIONAL_SETTINGS];

export interface BuildSettings {
  /** The settings file, relative to the workspace root, for messages. */
  file: string;
  values: Record<string, string>;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;
const REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

/** Where each key of the file is set (1-based line). */
type KeyLines = Map<string, number>;

/**
 * dotenv silently drops lines it cannot read and lets the last of two
 * assignments win, which would turn a typo into a missing or wrong pin far
 * from its cause; reject both here with their line numbers.
 */
function scanSettingsFile(text: string, file: string): KeyLines {
  const lines = text.split(/\r?\n/);
  const keys: KeyLines = new Map();
  let open: { quote: string; line: number; key: string } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i];
    if (open) {
      if (content.includes(open.quote)) open = null;
      continue;
    }
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const assignment = ASSIGNMENT.exec(content);
    if (!assignment) {
      throw new BuildConfigurationError(
        `${file}:${i + 1}: cannot read ${quoted(trimmed)}: write settings as KEY=value (comments start with #)`,
      );
    }
    const key = assignment[1];
    const first = keys.get(key);
    if (first !== undefined) {
      throw new BuildConfigurationError(
        `${file}:${first} and ${file}:${i + 1} both set ${key} (the last would win silently): keep one of them`,
      );
    }
    keys.set(key, i + 1);
    const value = content.slice(assignment[0].length).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) === -1) open = { quote, line: i + 1, key };
  }
  if (open) {
    throw new BuildConfigurationError(
      `${file}:${open.line}: the value of ${open.key} opens a ${open.quote} quote that is never closed: add the closing ${open.quote} or remove the opening one`,
    );
  }
  return keys;
}

function rejectUnknownKeys(keys: KeyLines, file: string): void {
  for (const [key, line] of keys) {
    if (KNOWN_SETTINGS.includes(key) || key.startsWith(CUSTOM_SETTING_PREFIX)) continue;
    if (REMOVED_SETTINGS[key]) throw new BuildConfigurationError(`${file}:${line}: ${key} was removed: ${REMOVED_SETTINGS[key]}. Delete the line`);
    throw new BuildConfigurationError(
      `${file}:${line}: unknown setting ${key}${didYouMean(key, KNOWN_SETTINGS)}: fix the name, or prefix your own variables with ${CUSTOM_SETTING_PREFIX}`,
    );
  }
}

/** YYYY-MM-DD naming a real day. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** Checks every known value (after overrides and expansion) before anything uses it. */
function validateValues(values: Record<string, string>, keys: KeyLines, file: string, env: NodeJS.ProcessEnv): void {
  const source = (key: string) => (env[key] !== undefined ? `environment variable ${key}` : `${file}:${keys.get(key) ?? '?'}: ${key}`);
  for (const key of BOOLEAN_SETTINGS) {
    const value = values[key];
    if (value !== undefined && value !== '' && value !== 'true' && value !== 'false') {
      throw new BuildConfigurationError(`${source(key)}=${quoted(value)} is not a boolean: use true or false`);
    }
  }
  const rebuildDate = values[REBUILD_DATE_SETTING];
  if (rebuildDate && !isCalendarDate(rebuildDate)) {
    throw new BuildConfigurationError(`${source(REBUILD_DATE_SETTING)}=${quoted(rebuildDate)} is not a date: use YYYY-MM-DD (e.g. 2026-12-01)`);
  }
  const engine = values.IMAGE_ENGINE;
  if (engine && !(ENGINE_CHOICES as readonly string[]).includes(engine.toLowerCase())) {
    throw new BuildConfigurationError(
      `${source('IMAGE_ENGINE')}=${quoted(engine)} is not an engine${didYouMean(engine.toLowerCase(), ENGINE_CHOICES)}: use ${ENGINE_CHOICES.join(', ')}`,
    );
  }
  const gpuCommit = values.GPU_JUPYTER_HEAD_COMMIT;
  // A branch or tag name moves under the pin: the same settings would generate a different gpu-upstream.
  if (gpuCommit && !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(gpuCommit)) {
    throw new BuildConfigurationError(
      `${source('GPU_JUPYTER_HEAD_COMMIT')}=${quoted(gpuCommit)} is not a full commit: use the commit's 40 hex digits (run \`git rev-parse <branch>\` in a gpu-jupyter clone)`,
    );
  }
  checkRepositoryName(source('UPSTREAM_CONTAINER_CPU_UNTAGGED'), values.UPSTREAM_CONTAINER_CPU_UNTAGGED);
  checkImageReference(source('UPSTREAM_CONTAINER_CPU'), values.UPSTREAM_CONTAINER_CPU);
  checkRegistryPrefix(source('IMAGE_REGISTRY'), values.IMAGE_REGISTRY ?? '');
}

/**
 * Parses and expands the settings text. Environment variables override keys
 * of the file, and references are expanded after overrides, so overriding a
 * commit also changes the references built from it.
 */
export function parseBuildSettings(text: string, file: string, env: NodeJS.ProcessEnv): BuildSettings {
  const keys = scanSettingsFile(text, file);
  rejectUnknownKeys(keys, file);
  const parsed = parse(text);
  for (const [key, raw] of Object.entries(parsed)) {
    for (const [, name] of raw.matchAll(REFERENCE)) {
      const [line, definedAt] = [keys.get(key) ?? 0, keys.get(name) ?? 0];
      if (name in parsed && env[name] === undefined && definedAt > line) {
        throw new BuildConfigurationError(
          `${file}:${line}: ${key} refers to $${name}, which is set only below it (line ${definedAt}), and a reference sees only the lines above it: move ${name}=… above line ${line}`,
        );
      }
      if (!(name in parsed) && env[name] === undefined) {
        throw new BuildConfigurationError(
          `${file}: ${key} refers to $${name}, which is neither set in the file nor in the environment: define ${name} or fix the reference`,
        );
      }
    }
  }
  const processEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) processEnv[key] = value;
  const { parsed: expanded = {} } = expand({ parsed: { ...parsed }, processEnv });
  const values: Record<string, string> = {};
  for (const key of new Set([...Object.keys(parsed), ...KNOWN_SETTINGS])) {
    // Read overrides from `env`: dotenv-expand writes into processEnv and treats an empty value as unset.
    const value = env[key] ?? expanded[key];
    if (value !== undefined) values[key] = value;
  }
  for (const key of REQUIRED_SETTINGS) {
    if (!values[key]) {
      throw new BuildConfigurationError(
        `${file}: required setting ${key} is missing or empty: add ${key}=<value> to the file or set it in the environment`,
      );
    }
  }
  validateValues(values, keys, file, env);
  return { file, values };
}

/**
 * Every variable whose value decides the settings: the keys the file sets and
 * the variables its values reference (ACR_NAME in
 * IMAGE_REGISTRY=${ACR_NAME}.azurecr.io). `bin/build-identity.sh` prints
 * their environment values for Nx's hash (in POSIX sh: Nx runs it once per
 * task it hashes); a spec checks it lists at least these.
 */
export function settingsVariables(text: string): string[] {
  const parsed = parse(text);
  const names = new Set(Object.keys(parsed));
  for (const raw of Object.values(parsed)) for (const [, name] of raw.matchAll(REFERENCE)) names.add(name);
  return [...names].sort();
}

/** Reads build_settings.env at the workspace root, with the environment's overrides. */
export function loadBuildSettings(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): BuildSettings {
  const path = join(workspaceRoot, SETTINGS_FILE);
  const file = relative(workspaceRoot, path);
  if (!existsSync(path)) {
    throw new BuildConfigurationError(
      `${file} not found at the workspace root (${workspaceRoot}): restore it from git; it holds the upstream pins`,
    );
  }
  return parseBuildSettings(readFileSync(path, 'utf8'), file, env);
}

/** A boolean setting (validated by parseBuildSettings): its default when unset or empty. */
export function booleanSetting(settings: BuildSettings, key: (typeof BOOLEAN_SETTINGS)[number]): boolean {
  return (settings.values[key] || SETTINGS[key].defaultValue) === 'true';
}

/** An optional setting, empty when unset. */
export function optionalSetting(settings: BuildSettings, key: SettingKey): string {
  return settings.values[key] ?? '';
}

/** The build args every image of ours gets from the settings: the rebuild date, when set. */
export function settingsBuildArgs(settings: BuildSettings): Record<string, string> {
  const rebuildDate = settings.values[REBUILD_DATE_SETTING];
  return rebuildDate ? { [REBUILD_DATE_SETTING]: rebuildDate } : {};
}

/** The branch settings git helpers take (they read no settings themselves). */
export function branchSettings(settings: BuildSettings): { imageBranch: string; imageDefaultBranch: string } {
  return { imageBranch: optionalSetting(settings, 'IMAGE_BRANCH'), imageDefaultBranch: optionalSetting(settings, 'IMAGE_DEFAULT_BRANCH') };
}
