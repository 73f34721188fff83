import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'dotenv';
import { expand } from 'dotenv-expand';
import { BuildConfigurationError } from '../errors';

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
export const OPTIONAL_SETTINGS = ['IMAGE_REGISTRY', 'IMAGE_ENGINE'] as const;

export type SettingKey = (typeof REQUIRED_SETTINGS)[number] | (typeof OPTIONAL_SETTINGS)[number];

export interface BuildSettings {
  /** The settings file, relative to the workspace root, for messages. */
  file: string;
  values: Record<string, string>;
}

const ASSIGNMENT = /^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=/;
const REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * dotenv silently drops lines it cannot read, which would turn a typo into a
 * missing pin far from its cause; reject them here with their line number.
 */
export function findMalformedLine(text: string): { line: number; content: string } | null {
  const lines = text.split(/\r?\n/);
  let inQuoted: string | null = null;
  let quoteLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i];
    if (inQuoted) {
      if (content.includes(inQuoted)) inQuoted = null;
      continue;
    }
    const trimmed = content.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (!ASSIGNMENT.test(content)) return { line: i + 1, content: trimmed };
    const value = content.slice(content.indexOf('=') + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.indexOf(quote, 1) === -1) {
      inQuoted = quote;
      quoteLine = i + 1;
    }
  }
  return inQuoted ? { line: quoteLine, content: `unterminated ${inQuoted} quote` } : null;
}

/**
 * Parses and expands the settings text. Environment variables override keys
 * of the file, and references are expanded after overrides, so overriding a
 * commit also changes the references built from it.
 */
export function parseBuildSettings(text: string, file: string, env: NodeJS.ProcessEnv): BuildSettings {
  const malformed = findMalformedLine(text);
  if (malformed) {
    throw new BuildConfigurationError(
      `${file}:${malformed.line}: cannot read "${malformed.content}": write settings as KEY=value (comments start with #)`,
    );
  }
  const parsed = parse(text);
  for (const [key, raw] of Object.entries(parsed)) {
    for (const [, name] of raw.matchAll(REFERENCE)) {
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
  for (const key of new Set([...Object.keys(parsed), ...REQUIRED_SETTINGS, ...OPTIONAL_SETTINGS])) {
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
  return { file, values };
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

/** An optional setting, empty when unset. */
export function optionalSetting(settings: BuildSettings, key: SettingKey): string {
  return settings.values[key] ?? '';
}
