import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { authFileCandidates, credentialsFromAuthFile, Credentials, findCredentials, type CredentialHelperRunner } from './credentials';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('authFileCandidates', () => {
  it('follows podman then docker: REGISTRY_AUTH_FILE first', () => {
    expect(authFileCandidates({ REGISTRY_AUTH_FILE: '/x/auth.json', XDG_RUNTIME_DIR: '/run/user/1000', DOCKER_CONFIG: '/d' }, 1000, '/home/u')).toEqual([
      '/x/auth.json',
      '/home/u/.config/containers/auth.json',
      '/d/config.json',
    ]);
  });

  it('uses XDG_RUNTIME_DIR when REGISTRY_AUTH_FILE is unset', () => {
    expect(authFileCandidates({ XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, '/home/u')).toEqual([
      '/run/user/1000/containers/auth.json',
      '/home/u/.config/containers/auth.json',
      '/home/u/.docker/config.json',
    ]);
  });

  it('falls back to /run/containers/<uid> (root: 0)', () => {
    expect(authFileCandidates({ XDG_CONFIG_HOME: '/cfg' }, 0, '/root')).toEqual([
      '/run/containers/0/auth.json',
      '/cfg/containers/auth.json',
      '/root/.docker/config.json',
    ]);
  });
});

describe('credentials from auth files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kf-registry-creds-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('decodes auths[host].auth (base64 user:pass; the password may hold colons)', () => {
    const file = write('auth.json', { auths: { 'localhost:5000': { auth: b64('kf:pa:ss') } } });
    const found = credentialsFromAuthFile(file, 'localhost:5000');
    expect(found).toBeInstanceOf(Credentials);
    expect(found).toMatchObject({ username: 'kf', password: 'pa:ss', source: file });
    expect(credentialsFromAuthFile(file, 'localhost:5001')).toBeUndefined();
  });

  it('accepts docker-style keys with a scheme and the Docker Hub legacy URL', () => {
    const file = write('config.json', {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:h') },
        'https://myacr.azurecr.io': { auth: b64('acr:a'), identitytoken: 'refresh' },
      },
    });
    expect(credentialsFromAuthFile(file, 'docker.io')).toMatchObject({ username: 'hub', password: 'h' });
    expect(credentialsFromAuthFile(file, 'myacr.azurecr.io')).toMatchObject({ username: 'acr', identityToken: 'refresh' });
  });

  it('prefers the most specific repository-scoped key, as podman does', () => {
    const file = write('auth.json', {
      auths: {
        'localhost:5000': { auth: b64('host:1') },
        'localhost:5000/team': { auth: b64('team:2') },
        'localhost:5000/team/img': { auth: b64('img:3') },
      },
    });
    expect(credentialsFromAuthFile(file, 'localhost:5000', 'team/img')?.username).toBe('img');
    expect(credentialsFromAuthFile(file, 'localhost:5000', 'team/other')?.username).toBe('team');
    expect(credentialsFromAuthFile(file, 'localhost:5000', 'elsewhere')?.username).toBe('host');
  });

  it('takes the first file that has the registry, skipping missing and broken ones', () => {
    const broken = write('broken.json', '{ not json');
    const empty = write('empty.json', { auths: {} });
    const docker = write('docker.json', { auths: { 'localhost:5000': { auth: b64('docker:d') } } });
    const podman = write('podman.json', { auths: { 'localhost:5000': { auth: b64('podman:p') } } });
    expect(findCredentials('localhost:5000', undefined, [join(dir, 'missing.json'), broken, empty, podman, docker])?.username).toBe('podman');
    expect(findCredentials('localhost:5000', undefined, [broken, docker, podman])?.username).toBe('docker');
    expect(findCredentials('localhost:5000', undefined, [broken, empty])).toBeUndefined();
  });

  it('reads REGISTRY_AUTH_FILE through the default candidate list', () => {
    const file = write('auth.json', { auths: { 'localhost:5000': { auth: b64('env:e') } } });
    expect(findCredentials('localhost:5000', undefined, authFileCandidates({ REGISTRY_AUTH_FILE: file, HOME: dir }))?.username).toBe('env');
  });

  it('never shows the password when logged', () => {
    const credentials = new Credentials('kf', 's3cret-value', undefined, '/x/auth.json');
    expect(inspect(credentials)).not.toContain('s3cret-value');
    expect(JSON.stringify(credentials)).not.toContain('s3cret-value');
    expect(inspect({ nested: credentials })).not.toContain('s3cret-value');
    expect(credentials.basicAuthorization()).toBe(`Basic ${b64('kf:s3cret-value')}`);
  });

  describe('docker credential helpers', () => {
    /** A helper runner that knows one login per server, records what it was asked, and is "installed" only for the names given. */
    function helpers(installed: Record<string, Record<string, { Username: string; Secret: string }>>) {
      const asked: Array<{ program: string; server: string }> = [];
      const run: CredentialHelperRunner = (program, server) => {
        asked.push({ program, server });
        const store = installed[program.replace(/^docker-credential-/, '')];
        if (!store) return { status: null, stdout: '', stderr: '', missing: true };
        const login = store[server];
        return login ? { status: 0, stdout: JSON.stringify({ ServerURL: server, ...login }), stderr: '', missing: false } : { status: 1, stdout: 'credentials not found in native keychain\n', stderr: '', missing: false };
      };
      return { run, asked };
    }

    it('asks the helper credHelpers names for the registry, with the server on stdin', () => {
      const file = write('config.json', { auths: { 'localhost:5000': { auth: b64('file:f') } }, credHelpers: { 'localhost:5000': 'test' } });
      const { run, asked } = helpers({ test: { 'localhost:5000': { Username: 'helper-user', Secret: 'helper-secret' } } });
      const found = credentialsFromAuthFile(file, 'localhost:5000', 'team/img', run);
      expect(found).toMatchObject({ username: 'helper-user', password: 'helper-secret', helper: 'docker-credential-test', source: file });
      expect(asked).toEqual([{ program: 'docker-credential-test', server: 'localhost:5000' }]);
      expect(inspect(found)).not.toContain('helper-secret');
    });

    it('asks credsStore for every registry, and falls back to auths when the store has none', () => {
      const file = write('config.json', { auths: { 'other:5000': { auth: b64('file:f') } }, credsStore: 'desktop' });
      const { run } = helpers({ desktop: { 'myacr.azurecr.io': { Username: '<token>', Secret: 'refresh-token' } } });
      expect(credentialsFromAuthFile(file, 'myacr.azurecr.io', undefined, run)).toMatchObject({ username: '<token>', identityToken: 'refresh-token', helper: 'docker-credential-desktop' });
      expect(credentialsFromAuthFile(file, 'other:5000', undefined, run)).toMatchObject({ username: 'file', helper: undefined });
      expect(credentialsFromAuthFile(file, 'nowhere:5000', undefined, run)).toBeUndefined();
    });

    it('asks for Docker Hub under its legacy URL', () => {
      const file = write('config.json', { credsStore: 'desktop' });
      const { run, asked } = helpers({ desktop: {} });
      credentialsFromAuthFile(file, 'docker.io', undefined, run);
      expect(asked[0].server).toBe('https://index.docker.io/v1/');
    });

    it('is one line naming a helper that is not installed', () => {
      const file = write('config.json', { credHelpers: { 'localhost:5000': 'missing' } });
      const { run } = helpers({});
      expect(() => credentialsFromAuthFile(file, 'localhost:5000', undefined, run)).toThrow(
        `${file} names the credential helper "missing" (credHelpers["localhost:5000"]) for localhost:5000, but docker-credential-missing is not on PATH: install it, or remove that entry (or log in with \`podman login localhost:5000\`)`,
      );
    });

    it('runs a real helper program from PATH', () => {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'docker-credential-test'), '#!/bin/sh\nread server\nprintf \'{"ServerURL":"%s","Username":"u","Secret":"s"}\\n\' "$server"\n', { mode: 0o755 });
      const file = write('config.json', { credHelpers: { 'localhost:5000': 'test' } });
      const path = process.env.PATH;
      process.env.PATH = `${bin}:${path}`;
      try {
        expect(credentialsFromAuthFile(file, 'localhost:5000')).toMatchObject({ username: 'u', password: 's' });
      } finally {
        process.env.PATH = path;
      }
    });
  });
});
