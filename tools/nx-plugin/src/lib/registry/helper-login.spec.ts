import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Credentials } from './credentials';
import { withHelperLogin } from './helper-login';

const IMAGE = 'myacr.azurecr.io/minimal-notebook-cpu:content-1';

describe('withHelperLogin', () => {
  let parentDir: string;
  beforeEach(() => (parentDir = mkdtempSync(join(tmpdir(), 'helper-login-spec-'))));
  afterEach(() => rmSync(parentDir, { recursive: true, force: true }));

  it('writes a login only a credential helper gives to a private auth file for podman, and removes it afterwards', async () => {
    const asked: string[] = [];
    const find = (registry: string, repository: string) => {
      asked.push(`${registry} ${repository}`);
      return new Credentials('<token>', '', 'refresh', '/home/u/.docker/config.json', 'docker-credential-desktop');
    };
    let seen = '';
    await withHelperLogin('podman', IMAGE, async (file) => {
      seen = file!;
      expect(statSync(file!).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file!, 'utf8'))).toEqual({ auths: { 'myacr.azurecr.io': { auth: Buffer.from('<token>:').toString('base64'), identitytoken: 'refresh' } } });
    }, { find, parentDir });
    expect(asked).toEqual(['myacr.azurecr.io minimal-notebook-cpu']);
    expect(existsSync(seen)).toBe(false);
  });

  it('makes its private folder inside the folder it is given (the build scratch folder, which the next run removes if this one is killed)', async () => {
    const find = () => new Credentials('u', 'p', undefined, '/home/u/.docker/config.json', 'docker-credential-test');
    const file = await withHelperLogin('podman', IMAGE, async (authFile) => authFile, { find, parentDir });
    expect(dirname(dirname(file!))).toBe(parentDir);
    expect(readdirSync(parentDir)).toEqual([]);
  });

  it('leaves the engine to find any other login, and docker to ask its helpers itself', async () => {
    const fromFile = () => new Credentials('u', 'p', undefined, '/run/containers/0/auth.json');
    expect(await withHelperLogin('podman', IMAGE, async (file) => file, { find: fromFile, parentDir })).toBeNull();
    expect(await withHelperLogin('podman', IMAGE, async (file) => file, { find: () => undefined, parentDir })).toBeNull();
    const helper = () => new Credentials('u', 'p', undefined, '/x', 'docker-credential-test');
    expect(await withHelperLogin('docker', IMAGE, async (file) => file, { find: helper, parentDir })).toBeNull();
  });
});
