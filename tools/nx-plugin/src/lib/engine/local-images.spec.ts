import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Credentials } from '../registry/credentials';
import { fakeCli } from './fake-cli.test-helper';
import { pullAndTag, pullWithHelperLogin, type PullLogin } from './local-images';

const PARENT = 'myacr.azurecr.io/base-notebook-cpu@sha256:' + 'a'.repeat(64);
const helperLogin = () => new Credentials('u', 'p', undefined, '/home/u/.docker/config.json', 'docker-credential-test');

describe('a pull with a login only a credential helper gives', () => {
  let loginDir: string;
  beforeEach(() => (loginDir = mkdtempSync(join(tmpdir(), 'local-images-spec-'))));
  afterEach(() => rmSync(loginDir, { recursive: true, force: true }));

  /** A podman that records where the pull's auth file was, and what it held while podman read it. */
  function podmanReadingAuthFile(answers: Record<string, object> = {}) {
    const seen: { file?: string; auths?: unknown } = {};
    const cli = fakeCli('podman', {
      ...answers,
      pull: (args) => {
        seen.file = args[args.indexOf('--authfile') + 1];
        seen.auths = JSON.parse(readFileSync(seen.file, 'utf8')).auths;
        return {};
      },
    });
    return { cli, seen };
  }

  it.each([
    ['a parent pulled back by digest', (login: PullLogin) => pullAndTag('podman', PARENT, 'myacr.azurecr.io/base-notebook-cpu:content-1', login)],
    ['an upstream parent the engine lacks', (login: PullLogin) => pullWithHelperLogin('podman', PARENT, login)],
  ])('%s: the auth file is written in the scratch folder it is given (never TMPDIR), and gone afterwards', async (_case, pull) => {
    const { cli, seen } = podmanReadingAuthFile({ 'image inspect': { code: 1, stderr: 'image not known' } });
    await pull({ loginDir, cli, find: helperLogin });
    expect(dirname(dirname(seen.file!))).toBe(loginDir);
    expect(seen.auths).toEqual({ 'myacr.azurecr.io': { auth: Buffer.from('u:p').toString('base64') } });
    expect(existsSync(seen.file!)).toBe(false);
    expect(readdirSync(loginDir)).toEqual([]);
  });

  it('pulls by digest without an auth file when the engine finds the login itself, and tags the image as its record names it', async () => {
    const cli = fakeCli('podman');
    await pullAndTag('podman', PARENT, 'myacr.azurecr.io/base-notebook-cpu:content-1', { loginDir, cli, find: () => undefined });
    expect(cli.calls).toEqual([
      ['pull', '--quiet', PARENT],
      ['tag', PARENT, 'myacr.azurecr.io/base-notebook-cpu:content-1'],
    ]);
    expect(readdirSync(loginDir)).toEqual([]);
  });

  it('leaves an upstream parent the engine has, or one whose login the engine finds, to the build', async () => {
    const present = fakeCli('podman', { 'image inspect': { stdout: 'sha256:1\n' } });
    await pullWithHelperLogin('podman', PARENT, { loginDir, cli: present, find: helperLogin });
    const ownLogin = fakeCli('podman');
    await pullWithHelperLogin('podman', PARENT, { loginDir, cli: ownLogin, find: () => new Credentials('u', 'p', undefined, '/run/containers/0/auth.json') });
    expect([...present.calls, ...ownLogin.calls].filter((args) => args[0] === 'pull')).toEqual([]);
  });
});
