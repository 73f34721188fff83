import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { hashBuildContext, hashDockerfile } from './build-context';
import { contentTag, sha256, type ContentInputs, type ContextFile } from './content-tag';

const FILES: ContextFile[] = [
  { path: 'Dockerfile', sha256: sha256('FROM $BASE_CONTAINER\n'), executable: false },
  { path: 'start.sh', sha256: sha256('#!/bin/sh\n'), executable: true },
  { path: 'conf/jupyter.py', sha256: sha256('c = 1\n'), executable: false },
];

function inputs(overrides: Partial<ContentInputs> = {}): ContentInputs {
  return {
    stream: 'cpu',
    dockerfileSha256: sha256('ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\n'),
    contextFiles: FILES,
    parentIdentity: 'content-0123456789abcdef01234567',
    buildArgs: { PYTHON_VERSION: '3.11', NB_USER: 'jovyan' },
    ...overrides,
  };
}

describe('contentTag', () => {
  it('has the form content-<24 hex digits>', () => {
    expect(contentTag(inputs())).toMatch(/^content-[0-9a-f]{24}$/);
  });

  it('is the same for the same inputs, whatever the file order and build-arg key order', () => {
    const reordered = inputs({
      contextFiles: [FILES[2], FILES[0], FILES[1]],
      buildArgs: { NB_USER: 'jovyan', PYTHON_VERSION: '3.11' },
    });
    expect(contentTag(reordered)).toBe(contentTag(inputs()));
  });

  it('does not reorder the caller’s file list', () => {
    const files = [FILES[2], FILES[0], FILES[1]];
    contentTag(inputs({ contextFiles: files }));
    expect(files).toEqual([FILES[2], FILES[0], FILES[1]]);
  });

  const base = contentTag(inputs());
  it.each<[string, Partial<ContentInputs>]>([
    ['a context file’s content', { contextFiles: [FILES[0], { ...FILES[1], sha256: sha256('#!/bin/bash\n') }, FILES[2]] }],
    ['a context file’s executable bit', { contextFiles: [FILES[0], { ...FILES[1], executable: false }, FILES[2]] }],
    ['a context file’s path', { contextFiles: [FILES[0], FILES[1], { ...FILES[2], path: 'conf/other.py' }] }],
    ['an extra context file', { contextFiles: [...FILES, { path: 'extra', sha256: sha256(''), executable: false }] }],
    ['the Dockerfile hash', { dockerfileSha256: sha256('FROM $BASE_CONTAINER\nRUN true\n') }],
    ['the parent identity', { parentIdentity: 'content-fedcba9876543210fedcba98' }],
    ['a build arg value', { buildArgs: { PYTHON_VERSION: '3.12', NB_USER: 'jovyan' } }],
    ['an extra build arg', { buildArgs: { PYTHON_VERSION: '3.11', NB_USER: 'jovyan', EXTRA: '' } }],
    ['the stream', { stream: 'gpu' }],
  ])('changes with %s', (_, change) => {
    const changed = contentTag(inputs(change));
    expect(changed).toMatch(/^content-[0-9a-f]{24}$/);
    expect(changed).not.toBe(base);
  });
});

describe('hashBuildContext and hashDockerfile', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  /** Writes one image project's directory into a fresh temp dir. */
  function makeContext(files: Record<string, string> = {}, executables: string[] = ['start-notebook.sh']): string {
    const root = mkdtempSync(join(tmpdir(), 'content-tag-'));
    roots.push(root);
    const all: Record<string, string> = {
      Dockerfile: 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nCOPY . /opt/app\n',
      '.dockerignore': 'README.md\ntests/\nproject.json\n',
      'README.md': '# the image\n',
      'project.json': '{"name":"minimal"}\n',
      'start-notebook.sh': '#!/bin/sh\nexec jupyter lab\n',
      'conf/nested/jupyter_server_config.py': 'c.ServerApp.ip = "0.0.0.0"\n',
      'tests/test_image.py': 'def test(): pass\n',
      'tests/fixtures/data.txt': 'x\n',
      ...files,
    };
    for (const [path, content] of Object.entries(all)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
      chmodSync(join(root, path), executables.includes(path) ? 0o755 : 0o644);
    }
    return root;
  }

  function tagOf(dir: string): string {
    return contentTag({
      stream: 'cpu',
      dockerfileSha256: hashDockerfile(join(dir, 'Dockerfile'), 'minimal'),
      contextFiles: hashBuildContext(dir),
      parentIdentity: 'content-0123456789abcdef01234567',
      buildArgs: {},
    });
  }

  it('lists the files the engine receives, sorted, with forward slashes, honouring .dockerignore', () => {
    const dir = makeContext();
    const files = hashBuildContext(dir);
    expect(files.map((file) => file.path)).toEqual([
      '.dockerignore',
      'Dockerfile',
      'conf/nested/jupyter_server_config.py',
      'start-notebook.sh',
    ]);
    const script = files.find((file) => file.path === 'start-notebook.sh')!;
    expect(script.executable).toBe(true);
    expect(script.sha256).toBe(sha256('#!/bin/sh\nexec jupyter lab\n'));
    expect(files.find((file) => file.path === 'Dockerfile')!.executable).toBe(false);
  });

  it('hashes every file when there is no .dockerignore', () => {
    const dir = makeContext();
    rmSync(join(dir, '.dockerignore'));
    const paths = hashBuildContext(dir).map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(['README.md', 'project.json', 'tests/test_image.py', 'tests/fixtures/data.txt']));
  });

  it('leaves hashes and tag unchanged when an ignored file changes or appears', () => {
    const dir = makeContext();
    const before = hashBuildContext(dir);
    const tagBefore = tagOf(dir);
    writeFileSync(join(dir, 'README.md'), '# rewritten docs\n');
    writeFileSync(join(dir, 'project.json'), '{"name":"minimal","tags":["x"]}\n');
    writeFileSync(join(dir, 'tests/test_image.py'), 'def test(): assert False\n');
    writeFileSync(join(dir, 'tests/new_test.py'), 'pass\n');
    expect(hashBuildContext(dir)).toEqual(before);
    expect(tagOf(dir)).toBe(tagBefore);
  });

  it('changes the tag when a context file, its executable bit, or the Dockerfile changes', () => {
    const dir = makeContext();
    const original = tagOf(dir);

    writeFileSync(join(dir, 'conf/nested/jupyter_server_config.py'), 'c.ServerApp.ip = "127.0.0.1"\n');
    const afterContent = tagOf(dir);
    expect(afterContent).not.toBe(original);

    chmodSync(join(dir, 'start-notebook.sh'), 0o644);
    const afterMode = tagOf(dir);
    expect(afterMode).not.toBe(afterContent);

    writeFileSync(join(dir, 'Dockerfile'), 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nUSER root\n');
    expect(tagOf(dir)).not.toBe(afterMode);
  });

  it('gives two separate copies of the same tree the same tag (absolute paths do not matter)', () => {
    const first = makeContext();
    const second = makeContext();
    expect(first).not.toBe(second);
    expect(hashBuildContext(second)).toEqual(hashBuildContext(first));
    expect(tagOf(second)).toBe(tagOf(first));
  });

  describe('symlinks, sent by the engine as the link itself', () => {
    function outsideFile(content: string): string {
      const dir = mkdtempSync(join(tmpdir(), 'content-tag-outside-'));
      roots.push(dir);
      writeFileSync(join(dir, 'settings.txt'), content);
      return join(dir, 'settings.txt');
    }

    it('hashes a link to a file outside the context by its target text, not by what it points to', () => {
      const dir = makeContext();
      const outside = outsideFile('one\n');
      symlinkSync(outside, join(dir, 'linked.txt'));
      const link = hashBuildContext(dir).find((file) => file.path === 'linked.txt')!;
      expect(link).toEqual({ path: 'linked.txt', sha256: sha256(outside), executable: false, symlink: true });
      const tag = tagOf(dir);
      writeFileSync(outside, 'two\n');
      expect(tagOf(dir)).toBe(tag);
    });

    it('changes the tag when the link is pointed elsewhere or replaced by a file with the same content', () => {
      const dir = makeContext();
      const outside = outsideFile('one\n');
      symlinkSync(outside, join(dir, 'linked.txt'));
      const tag = tagOf(dir);
      rmSync(join(dir, 'linked.txt'));
      symlinkSync(outsideFile('one\n'), join(dir, 'linked.txt'));
      const repointed = tagOf(dir);
      expect(repointed).not.toBe(tag);
      rmSync(join(dir, 'linked.txt'));
      writeFileSync(join(dir, 'linked.txt'), outside);
      expect(tagOf(dir)).not.toBe(repointed);
    });

    it('accepts a dangling link and a link to a directory (outside or inside), without following either', () => {
      const dir = makeContext();
      symlinkSync('/no/such/target', join(dir, 'dangling'));
      symlinkSync(tmpdir(), join(dir, 'outside-dir'));
      symlinkSync('conf', join(dir, 'conf-link'));
      const paths = hashBuildContext(dir).map((file) => file.path);
      expect(paths).toEqual(expect.arrayContaining(['dangling', 'outside-dir', 'conf-link']));
      expect(paths.filter((path) => path.startsWith('conf-link/'))).toEqual([]);
    });

    it('leaves out a link that .dockerignore excludes', () => {
      const dir = makeContext();
      symlinkSync('/no/such/target', join(dir, 'README.md.link'));
      writeFileSync(join(dir, '.dockerignore'), 'README.md*\n');
      expect(hashBuildContext(dir).map((file) => file.path)).not.toContain('README.md.link');
    });
  });

  it('names a unix socket in the context and the fix, and accepts it once ignored', async () => {
    const dir = makeContext();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'conf', 'agent.sock'), resolve));
    try {
      expect(() => hashBuildContext(dir, 'images/minimal')).toThrow(
        new BuildConfigurationError(
          'build context: images/minimal/conf/agent.sock is a unix socket, which an image cannot contain: move it out of the context or add "conf/agent.sock" to its .dockerignore',
        ),
      );
      writeFileSync(join(dir, '.dockerignore'), '**/*.sock\n');
      expect(hashBuildContext(dir).map((file) => file.path)).not.toContain('conf/agent.sock');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('names the path when the context directory does not exist', () => {
    const missing = join(makeContext(), 'no-such-dir');
    expect(() => hashBuildContext(missing)).toThrow(BuildConfigurationError);
    expect(() => hashBuildContext(missing)).toThrow(missing);
  });

  it('refuses a context that is a file', () => {
    const file = join(makeContext(), 'Dockerfile');
    expect(() => hashBuildContext(file)).toThrow(BuildConfigurationError);
  });

  it('names the project and the path when the Dockerfile is missing', () => {
    const missing = join(makeContext(), 'Dockerfile.gpu');
    expect(() => hashDockerfile(missing, 'minimal')).toThrow(BuildConfigurationError);
    expect(() => hashDockerfile(missing, 'minimal')).toThrow(`minimal: Dockerfile ${missing} not found`);
  });

  it('hashes the Dockerfile text', () => {
    const dir = makeContext();
    expect(hashDockerfile(join(dir, 'Dockerfile'), 'minimal')).toBe(
      sha256('ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nCOPY . /opt/app\n'),
    );
  });
});
