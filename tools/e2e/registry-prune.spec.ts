/**
 * `npm run registry:prune` against a real registry of the suite's own
 * (distribution with deletes enabled and htpasswd auth): every image
 * repository of the Nx graph holds images whose build dates the test chose,
 * some promoted (human tags), some only under content tags. Only old
 * content-tag-only manifests go, and only with --apply.
 */
import { createHash } from 'node:crypto';
import { createProjectGraphAsync } from '@nx/devkit';
import { toImageGraph } from '../nx-plugin/src/lib/hierarchy/image-graph';
import { imageRepository } from '../nx-plugin/src/lib/images/image-names';
import { RegistryClient } from '../nx-plugin/src/lib/registry/registry-client';
import { parseBuildTask } from '../ci/lib/image-levels';
import { pushDatedImage, startPrivateRegistry, type PrivateRegistry } from './support/private-registry';
import { WORKSPACE_ROOT } from './support/temp-workspace';
import { buildTasks, ciScriptResult } from './support/workflows';

jest.setTimeout(300_000);

const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
const contentTag = (seed: string) => `content-${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`;
const SHA = 'a'.repeat(40);

/** One repository's images: which digest carries which tags. */
interface Pushed {
  /** 40 days old, content tag only: the one the default retention deletes */
  old: string;
  /** 40 days old, promoted: sha, short sha, branch and latest point at it */
  promoted: string;
  /** 10 days old, content tag only: kept at 30 days, deleted at --days 7 */
  tenDays: string;
  /** 2 days old, content tag only */
  young: string;
  tags: Record<string, string[]>;
}

let registry: PrivateRegistry;
let client: RegistryClient;
let repositories: string[];
const pushed = new Map<string, Pushed>();

async function pushImages(repository: string): Promise<Pushed> {
  const tags = {
    old: [contentTag(`${repository} old`)],
    promoted: [contentTag(`${repository} promoted`), SHA, SHA.slice(0, 7), 'main', 'latest'],
    tenDays: [contentTag(`${repository} ten days`)],
    young: [contentTag(`${repository} young`)],
  };
  return {
    old: await pushDatedImage(registry, repository, tags.old, daysAgo(40), 'old'),
    promoted: await pushDatedImage(registry, repository, tags.promoted, daysAgo(40), 'promoted'),
    tenDays: await pushDatedImage(registry, repository, tags.tenDays, daysAgo(10), 'ten days'),
    young: await pushDatedImage(registry, repository, tags.young, daysAgo(2), 'young'),
    tags,
  };
}

function prune(args: string[]) {
  const prefix = `${registry.host}/kf-prune`;
  const result = ciScriptResult(WORKSPACE_ROOT, 'registry-prune.ts', args, { IMAGE_REGISTRY: prefix, REGISTRY_AUTH_FILE: registry.authFile });
  if (result.status !== 0) throw new Error(`registry-prune ${args.join(' ')} failed (exit ${result.status}):\n${result.output.slice(-3000)}`);
  const listed = (verb: string) => [...result.output.matchAll(new RegExp(`^${verb} (\\S+@sha256:[0-9a-f]{64}) \\(`, 'gm'))].map((m) => m[1]).sort();
  return { output: result.output, wouldDelete: listed('would delete'), deleted: listed('deleted') };
}

/** Every repository's tags, sorted. */
async function registryTags(): Promise<Record<string, string[]>> {
  const all: Record<string, string[]> = {};
  for (const repository of repositories) all[repository] = (await client.listTags(repository)).sort();
  return all;
}
const expectedTags = (kinds: Array<keyof Pushed['tags']>) =>
  Object.fromEntries(repositories.map((repository) => [repository, kinds.flatMap((kind) => pushed.get(repository)!.tags[kind]).sort()]));
const references = (kind: 'old' | 'tenDays') => repositories.map((repository) => `${repository}@${pushed.get(repository)![kind]}`).sort();

beforeAll(async () => {
  registry = await startPrivateRegistry();
  client = new RegistryClient({ authFiles: [registry.authFile] });
  process.env.NX_DAEMON = 'false';
  const images = toImageGraph(await createProjectGraphAsync({ exitOnError: false }));
  repositories = buildTasks(images).map((task) => {
    const { project, stream } = parseBuildTask(task);
    return imageRepository(`${registry.host}/kf-prune`, images[project].imageName ?? project, stream);
  });
  for (const repository of repositories) pushed.set(repository, await pushImages(repository));
});

afterAll(async () => {
  await registry?.stop();
});

it('a dry run lists the old content-tag-only manifest of every image repository and deletes nothing', async () => {
  const { wouldDelete, deleted, output } = prune([]);
  expect(wouldDelete).toEqual(references('old'));
  expect(deleted).toEqual([]);
  expect(output).toMatch(new RegExp(`would delete \\(dry run; --apply to delete\\) ${repositories.length} manifest\\(s\\) older than 30 days`));
  expect(await registryTags()).toEqual(expectedTags(['old', 'promoted', 'tenDays', 'young']));
});

it('--apply deletes exactly those: a digest a human tag points at and the younger ones stay', async () => {
  expect(prune(['--apply']).deleted).toEqual(references('old'));
  expect(await registryTags()).toEqual(expectedTags(['promoted', 'tenDays', 'young']));
  for (const [repository, images] of pushed) {
    expect(await client.manifestDigest(`${repository}@${images.old}`)).toBeNull();
    expect(await client.manifestDigest(`${repository}:latest`)).toBe(images.promoted);
  }
});

it('--days shortens the retention: 7 days deletes the ten-day-old image, keeps the two-day-old one and the promoted one', async () => {
  expect(prune(['--apply', '--days', '7']).deleted).toEqual(references('tenDays'));
  expect(await registryTags()).toEqual(expectedTags(['promoted', 'young']));
});
