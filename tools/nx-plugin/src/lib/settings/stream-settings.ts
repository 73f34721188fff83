import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Stream } from '../hierarchy/image-graph';
import type { LockEntry, UpstreamLock } from '../upstream-lock/upstream-lock';
import { RUN_ONLY_SETTINGS, SETTINGS, type BuildSettings, type SettingKey } from './build-settings';

/** What an upstream project owns, from its project.json metadata: the lock entries of its stream only (its settings are those SETTINGS scopes to its stream). */
export interface UpstreamOwnership {
  project: string;
  stream: Stream;
  /** Keys of upstream-lock.json that only this stream's chain reads. */
  lockEntries: string[];
}

/** The settings and lock entries one stream's builds are made from: what their Nx cache key holds instead of the whole files. */
export interface StreamSettings {
  stream: Stream;
  settings: Record<string, string>;
  lock: Record<string, LockEntry>;
}

/**
 * The resolved settings (file, environment, expansion) and lock entries a
 * stream can read: all of them except the settings scoped to the other
 * stream (SETTINGS) and the lock entries an upstream of another stream owns.
 * A pin of the other stream (GPU_JUPYTER_HEAD_COMMIT for cpu) is left out, so
 * moving it leaves this stream's tasks Nx cache hits; so is a setting that
 * never changes what is built (RUN_ONLY_SETTINGS).
 */
export function streamSettings(stream: Stream, settings: BuildSettings, lock: UpstreamLock, owners: UpstreamOwnership[]): StreamSettings {
  const others = owners.filter((owner) => owner.stream !== stream);
  const otherStreams = (Object.keys(SETTINGS) as SettingKey[]).filter((key) => SETTINGS[key].scope !== 'both' && SETTINGS[key].scope !== stream);
  const foreignSettings = new Set<string>([...otherStreams, ...RUN_ONLY_SETTINGS]);
  const foreignLock = new Set(others.flatMap((owner) => owner.lockEntries));
  const pick = <T>(entries: Record<string, T>, foreign: Set<string>) =>
    Object.fromEntries(Object.keys(entries).filter((key) => !foreign.has(key)).sort().map((key) => [key, entries[key]]));
  return { stream, settings: pick(settings.values, foreignSettings), lock: pick(lock.upstreams, foreignLock) };
}

/** Reads what an upstream project's metadata says it owns (`lockEntries`), for one stream. */
export function ownershipOf(project: string, metadata: unknown): UpstreamOwnership | null {
  const data = (metadata ?? {}) as { streams?: unknown; lockEntries?: unknown };
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  const streams = strings(data.streams) as Stream[];
  if (streams.length !== 1) return null;
  return { project, stream: streams[0], lockEntries: strings(data.lockEntries) };
}

/** Where a stream's settings are written (declared as the settings target's output). */
export function streamSettingsPath(workspaceRoot: string, project: string, stream: Stream): string {
  return join(workspaceRoot, 'dist', 'images', project, `${stream}.settings.json`);
}

export function writeStreamSettings(path: string, value: StreamSettings): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, path);
}
