import { spawn } from 'node:child_process';
import { BuildConfigurationError } from '../errors';
import { lastLine, type Cli, type EngineName } from '../engine/engine-cli';
import { hasImage } from '../engine/local-images';
import type { RegistryClient } from '../registry/registry-client';
import { readImageArchive, type ArchiveImage } from './image-archive';
import { PACKAGE_LISTING_SCRIPT, parsePackageListing, type PackageLists } from './packages';

/** The engine whose storage holds the image: podman first (the engine that builds here), then docker. */
export async function storageWith(image: string, engines: Cli[]): Promise<Cli> {
  for (const engine of engines) if (await hasImage(engine, image)) return engine;
  throw new BuildConfigurationError(
    `${image} is in neither ${engines.map((engine) => engine.name).join(' nor ')}'s storage: rebuild it (nx run <project>:build-<stream> --skip-nx-cache) or pull it`,
  );
}

/** What `podman save --format` writes; docker has no choice (a docker-archive before docker 25, an OCI layout since). */
export type SaveFormat = 'docker-archive' | 'oci-archive';

/**
 * Streams `<engine> save <image>` (in the engine's default layout, or
 * `format` with podman) through readImageArchive: the archive is never
 * written to disk nor held in memory by this process.
 */
export function readSavedImage(engine: EngineName, image: string, env: NodeJS.ProcessEnv = process.env, format?: SaveFormat): Promise<ArchiveImage> {
  return new Promise((resolve, reject) => {
    const child = spawn(engine, ['save', ...(format ? ['--format', format] : []), image], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4096)));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    child.on('error', (error) => reject(new BuildConfigurationError(`cannot run ${engine} save ${image}: ${error.message}`)));
    readImageArchive(child.stdout).then(
      async (archive) => {
        const code = await exited;
        if (code === 0) resolve(archive);
        else reject(new BuildConfigurationError(`${engine} save ${image} failed (exit ${code}): ${lastLine(stderr)}`));
      },
      async (error: Error) => {
        child.kill('SIGKILL');
        await exited;
        reject(new BuildConfigurationError(`cannot read ${engine} save ${image}: ${stderr ? lastLine(stderr) : error.message}`));
      },
    );
  });
}

/** The parent's layers (diff ids), from either engine's storage or, when neither has it, from the registry's config. */
export async function parentLayers(parent: string, engines: Cli[], registry: Pick<RegistryClient, 'imageConfig'> | null): Promise<string[]> {
  for (const engine of engines) {
    const result = await engine.run(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', parent], { timeoutMs: 60_000 });
    if (result.code === 0 && result.stdout.trim().startsWith('[')) return JSON.parse(result.stdout.trim()) as string[];
  }
  const config = registry ? await registry.imageConfig(parent).catch(() => null) : null;
  if (config?.rootfs?.diff_ids) return config.rootfs.diff_ids;
  throw new BuildConfigurationError(
    `cannot tell the parent's layers from this image's own: the parent ${parent} is in no engine's storage and not in a reachable registry: pull it (podman pull ${parent}) and inspect again`,
  );
}

/** How many of the image's layers come from the parent: the parent's layers must be the first ones, unchanged. */
export function inheritedLayerCount(layers: string[], parent: string[], image: string, parentImage: string): number {
  const prefix = parent.every((digest, index) => layers[index] === digest);
  if (!prefix || parent.length > layers.length) {
    throw new BuildConfigurationError(
      `${image} does not start with the layers of its parent ${parentImage} (the build record's parent): the image was not built on it; rebuild the image (nx run <project>:build-<stream> --skip-nx-cache)`,
    );
  }
  return parent.length;
}

/** Runs the image once with docker (podman cannot run containers on these machines) to list its packages. */
export async function listPackages(docker: Cli, image: string, name: string): Promise<PackageLists> {
  const result = await docker.run(
    ['run', '--rm', '--name', name, '--label', 'io.kubeflow-images.role=inspect', '--network', 'none', '--user', '0', '--entrypoint', '/bin/sh', image, '-c', PACKAGE_LISTING_SCRIPT],
    { timeoutMs: 10 * 60_000 },
  );
  if (result.code !== 0) {
    // docker's own complaint is the first line of its stderr; the last is its usage hint.
    const why = result.spawnError ?? result.stderr.trim().split('\n')[0] ?? 'no output';
    throw new BuildConfigurationError(`cannot list the packages of ${image}: docker run --entrypoint /bin/sh exited ${result.code ?? 'on timeout'} (${why}): the image needs /bin/sh`);
  }
  return parsePackageListing(result.stdout);
}
