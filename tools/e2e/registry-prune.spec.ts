/**
 * `npm run registry:prune` against a real registry of the suite's own
 * (distribution with deletes enabled and htpasswd auth): every image
 * repository of the Nx graph holds images whose build dates the test chose,
 * some promoted (human tags), some only under content tags, some with test
 * marks. Only what the retention rule lets go goes (old unpromoted content,
 * old sha tags no branch tag shares), with its marks, and only with --apply.
 */
import { createHash } from 'node:crypto';
import { createProjectGraphAsync } from '@nx/devkit';
import { toImageGraph } from '@kubeflow-images/plugin-lib/hierarchy/image-graph';
import { imageRepository } from '@kubeflow-images/plugin-lib/images/image-names';
import { RegistryClient } from '@kubeflow-images/plugin-lib/registry/registry-client';
import { parseBuildTask } from '../ci/lib/image-levels';
import { referrersTag } from '../ci/lib/test-mark';
import { TestMarkStore } from '../ci/lib/test-mark-store';
import { git } from './support/temp-workspace';
import { pushDatedImage, startPrivateRegistry, type PrivateRegistry } from './support/private-registry';
import { WORKSPACE_ROOT } from './support/temp-workspace';
import { buildTasks, ciScriptResult } from './support/workflows';

jest.setTimeout(300_000);

const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS);
const contentTag = (seed: string) => `content-${createHash('sha256').update(seed).digest('hex').slice(0, 24)}`;
const SHA = 'a'.repeat(40);
/** A sha tag of a commit git does not know: it adds no date. */
const UNKNOWN_SHA = 'b'.repeat(40);

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
  /** 100 days old, sha tags of a commit git does not know, no branch tag: past the 90-day sha retention */
  shaOld: string;
  /** 100 days old, sha tag of the checkout's own commit (today): kept */
  shaRecent: string;
  /** 40 days old, content tag only, but marked as tested yesterday (a promotion may be about to tag it): kept */
  markedRecently: string;
  tags: Record<string, string[]>;
}

let registry: PrivateRegistry;
let client: RegistryClient;
let marks: TestMarkStore;
let HEAD: string;
let repositories: string[];
const pushed = new Map<string, Pushed>();

async function pushImages(repository: string): Promise<Pushed> {
  const tags = {
    old: [contentTag(`${repository} old`)],
    promoted: [contentTag(`${repository} promoted`), SHA, SHA.slice(0, 7), 'main', 'latest'],
    tenDays: [contentTag(`${repository} ten days`)],
    young: [contentTag(`${repository} young`)],
    shaOld: [contentTag(`${repository} sha old`), UNKNOWN_SHA, UNKNOWN_SHA.slice(0, 7)],
    shaRecent: [contentTag(`${repository} sha recent`), HEAD, HEAD.slice(0, 7)],
    markedRecently: [contentTag(`${repository} marked`)],
  };
  const mark = async (digest: string, daysBack: number) =>
    marks.write(repository, digest, { date: daysAgo(daysBack), commit: HEAD, task: 'x:test-cpu', contentTag: 'content-x', run: '' });
  const old = await pushDatedImage(registry, repository, tags.old, daysAgo(40), 'old');
  const markedRecently = await pushDatedImage(registry, repository, tags.markedRecently, daysAgo(40), 'marked');
  await mark(old, 35);
  await mark(markedRecently, 1);
  return {
    shaOld: await pushDatedImage(registry, repository, tags.shaOld, daysAgo(100), 'sha old'),
    shaRecent: await pushDatedImage(registry, repository, tags.shaRecent, daysAgo(100), 'sha recent'),
    markedRecently,
    old,
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
const references = (...kinds: Array<'old' | 'tenDays' | 'shaOld'>) =>
  repositories.flatMap((repository) => kinds.map((kind) => `${repository}@${pushed.get(repository)![kind]}`)).sort();
const KEPT = ['promoted', 'shaRecent', 'markedRecently'] as const;

beforeAll(async () => {
  registry = await startPrivateRegistry();
  client = new RegistryClient({ authFiles: [registry.authFile] });
  marks = new TestMarkStore({ authFiles: [registry.authFile] });
  HEAD = git(WORKSPACE_ROOT, 'rev-parse', 'HEAD');
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

const withMarks = (tags: Record<string, string[]>, kinds: Array<'old' | 'markedRecently'>) =>
  Object.fromEntries(Object.entries(tags).map(([repository, names]) => [repository, [...names, ...kinds.map((kind) => referrersTag(pushed.get(repository)![kind]))].sort()]));

it('a dry run lists, in every image repository, the old unpromoted manifest and the old sha-tagged one, and deletes nothing', async () => {
  const { wouldDelete, deleted, output } = prune([]);
  expect(wouldDelete).toEqual(references('old', 'shaOld'));
  expect(deleted).toEqual([]);
  expect(output).toMatch(new RegExp(`would delete \\(dry run; --apply to delete\\) ${2 * repositories.length} manifest\\(s\\) older than 30 days \\(content tags only\\) or 90 days \\(sha tags\\)`));
  expect(await registryTags()).toEqual(withMarks(expectedTags(['old', 'promoted', 'tenDays', 'young', 'shaOld', 'shaRecent', 'markedRecently']), ['old', 'markedRecently']));
});

it('--apply deletes exactly those, with their test marks; what latest points at, recent sha tags and a fresh mark keep theirs', async () => {
  expect(prune(['--apply']).deleted).toEqual(references('old', 'shaOld'));
  expect(await registryTags()).toEqual(withMarks(expectedTags([...KEPT, 'tenDays', 'young']), ['markedRecently']));
  for (const [repository, images] of pushed) {
    expect(await client.manifestDigest(`${repository}@${images.old}`)).toBeNull();
    expect(await client.manifestDigest(`${repository}:latest`)).toBe(images.promoted);
    expect(await marks.read(repository, images.markedRecently)).toMatchObject({ commit: HEAD });
  }
});

it('--days and --sha-days shorten the retention: the ten-day-old image goes, the two-day-old one and the promoted ones stay', async () => {
  expect(prune(['--apply', '--days', '7', '--sha-days', '30']).deleted).toEqual(references('tenDays'));
  expect(await registryTags()).toEqual(withMarks(expectedTags([...KEPT, 'young']), ['markedRecently']));
});
