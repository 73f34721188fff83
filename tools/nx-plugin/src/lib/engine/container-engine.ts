import { spawnSync } from 'node:child_process';
import { BuildConfigurationError, quoted } from '../errors';

export type EngineName = 'docker' | 'podman';

/** What IMAGE_ENGINE and the engine option accept. */
export const ENGINE_CHOICES = ['docker', 'podman', 'auto'] as const;

interface CommandResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): CommandResult {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) return { ok: false, stdout: '', stderr: result.error.message };
  return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

function lastLine(text: string): string {
  return text.split('\n').filter(Boolean).pop() ?? 'no output';
}

/**
 * nx-container's docker engine drives `docker buildx`; without buildx the
 * only engine that can build is podman, so "auto" picks by what is there.
 */
export function chooseEngine(setting: string, buildxAvailable: () => boolean): EngineName {
  const wanted = (setting || 'auto').toLowerCase();
  if (wanted === 'docker' || wanted === 'podman') return wanted;
  if (wanted !== 'auto') {
    throw new BuildConfigurationError(`IMAGE_ENGINE=${quoted(setting)} is not an engine: use ${ENGINE_CHOICES.join(', ')}`);
  }
  return buildxAvailable() ? 'docker' : 'podman';
}

let buildxProbe: boolean | undefined;

/** Probed once per process: choosing the engine and checking it both ask. */
export function dockerBuildxAvailable(): boolean {
  buildxProbe ??= run('docker', ['buildx', 'version']).ok;
  return buildxProbe;
}

/**
 * Fails with the fix when the engine cannot build: not installed, daemon down,
 * or buildx missing. `engineAnswered`: the engine already answered a question
 * about its storage in this task, so it is installed and reachable; asking
 * again would only cost another engine process per build.
 */
export function assertEngineReady(engine: EngineName, engineAnswered = false): void {
  if (engine === 'podman') {
    if (engineAnswered) return;
    const version = run('podman', ['version', '--format', '{{.Client.Version}}']);
    if (!version.ok) {
      throw new BuildConfigurationError(
        `podman is not usable (${lastLine(version.stderr)}): install podman, or set IMAGE_ENGINE=docker with docker buildx`,
      );
    }
    return;
  }
  const info = engineAnswered ? null : run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info && !info.ok) {
    throw new BuildConfigurationError(
      `the docker daemon is not reachable (${lastLine(info.stderr)}): start dockerd (or Docker Desktop), or set IMAGE_ENGINE=podman`,
    );
  }
  if (!dockerBuildxAvailable()) {
    throw new BuildConfigurationError(
      'docker buildx is not installed, and nx-container builds with buildx: install the buildx plugin, or set IMAGE_ENGINE=podman',
    );
  }
}

const IMAGE_NOT_FOUND = /image not known|no such (image|object)/i;

export interface LocalImage {
  /** The image's id in the engine's own storage, or null when it is not there. */
  id: string | null;
  /** The engine ran and answered, found or not found: it is installed and its storage or daemon is reachable. */
  engineAnswered: boolean;
}

export function inspectLocalImage(engine: EngineName, reference: string): LocalImage {
  const result = run(engine, ['image', 'inspect', '--format', '{{.Id}}', reference]);
  if (result.ok) return { id: result.stdout ? result.stdout.split('\n')[0] : null, engineAnswered: true };
  return { id: null, engineAnswered: IMAGE_NOT_FOUND.test(result.stderr) };
}

/** The id of an image in the engine's own storage, or null when it is not there (or the engine cannot say). */
export function localImageId(engine: EngineName, reference: string): string | null {
  return inspectLocalImage(engine, reference).id;
}

/** Pulls `reference` (e.g. repository@digest) into the engine's storage and gives it the tag `as`; fails with the engine's last line. */
export function pullAndTag(engine: EngineName, reference: string, as: string): void {
  const pulled = run(engine, ['pull', '--quiet', reference]);
  if (!pulled.ok) throw new BuildConfigurationError(`${engine} cannot pull ${reference} (${lastLine(pulled.stderr)}): log in to its registry (${engine} login) and rerun`);
  // A record re-pinned to repo@digest names the pulled image already; a digest cannot be a tag.
  if (as.includes('@')) return;
  const tagged = run(engine, ['tag', reference, as]);
  if (!tagged.ok) throw new BuildConfigurationError(`${engine} cannot tag ${reference} as ${as} (${lastLine(tagged.stderr)})`);
}
