import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { booleanSetting, parseBuildSettings, settingsVariables, SETTINGS_FILE } from './build-settings';
import { VALID_PIN_LINES } from '../testing/settings-pins';
import { withTempDir } from '../testing/temp-dir';

/** `bin/build-identity.sh` (an Nx runtime input, POSIX sh for speed) must agree with the settings module it stands in for. */
const SCRIPT = resolve(__dirname, '../../../bin/build-identity.sh');


describe('bin/build-identity.sh', () => {
  let root: string;
  withTempDir('build-identity-', (dir) => (root = dir));

  const run = (lines: string[], env: Record<string, string>, part: 'settings' | 'images' = 'images') => {
    const text = [...VALID_PIN_LINES, ...lines, ''].join('\n');
    writeFileSync(join(root, SETTINGS_FILE), text);
    const out = execFileSync('sh', [SCRIPT, part], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
    return { text, lines: out.split('\n').filter(Boolean) };
  };

  it("prints the environment's value of every variable the settings module reads, referenced ones included", () => {
    const env = { ACR_NAME: 'myacr', UPSTREAM_CONTAINER_CPU_HEAD_COMMIT: 'fedcba987654' };
    const { text, lines } = run(['IMAGE_REGISTRY=${ACR_NAME}.azurecr.io', 'export CUSTOM_MIRROR=mirror.example', 'IMAGE_ENGINE="podman"'], env, 'settings');
    const names = settingsVariables(text);
    expect(names).toEqual(expect.arrayContaining(['ACR_NAME', 'CUSTOM_MIRROR', 'IMAGE_REGISTRY', 'UPSTREAM_CONTAINER_CPU']));
    for (const name of names) {
      expect(lines).toContain(name in env ? `env ${name}=${env[name as keyof typeof env]}` : `env ${name} unset`);
    }
  });

  it("leaves the environment out of what a build hashes (its stream's settings file has the resolved values), and the images out of the settings part", () => {
    mkdirSync(join(root, 'images/base'), { recursive: true });
    writeFileSync(join(root, 'images/base/start.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const env = { GPU_JUPYTER_HEAD_COMMIT: '1111111111111111111111111111111111111111', IMAGE_PUSH: 'true' };
    const images = run([], env, 'images').lines;
    expect(images.filter((line) => line.startsWith('env '))).toEqual([]);
    expect(images).toContain('exec images/base/start.sh');
    const settings = run([], env, 'settings').lines;
    expect(settings).toContain(`env GPU_JUPYTER_HEAD_COMMIT=${env.GPU_JUPYTER_HEAD_COMMIT}`);
    expect(settings.filter((line) => !line.startsWith('env '))).toEqual([]);
  });

  it.each<[string, string[], Record<string, string>]>([
    ['unset', [], {}],
    ['true in the file', ['IMAGE_PUSH=true'], {}],
    ['quoted and exported in the file', ['export IMAGE_PUSH="true"'], {}],
    ['false in the file', ["IMAGE_PUSH='false'"], {}],
    ['true in the environment over false in the file', ['IMAGE_PUSH=false'], { IMAGE_PUSH: 'true' }],
    ['empty in the environment over true in the file', ['IMAGE_PUSH=true'], { IMAGE_PUSH: '' }],
  ])('marks a push run exactly when the settings push: IMAGE_PUSH %s', (_case, lines, env) => {
    const result = run(lines, env);
    const pushes = booleanSetting(parseBuildSettings(result.text, SETTINGS_FILE, env), 'IMAGE_PUSH');
    expect(result.lines.some((line) => line.startsWith('push run '))).toBe(pushes);
  });

  it('counts an IMAGE_PUSH built from a reference as a push (it cannot expand it): a cache miss, never a wrong reuse', () => {
    const { lines } = run(['CUSTOM_PUSH=false', 'IMAGE_PUSH=${CUSTOM_PUSH}'], {});
    expect(lines.some((line) => line.startsWith('push run '))).toBe(true);
  });

  it('lists the executable files under images/, whose mode the engine copies and Nx does not hash', () => {
    mkdirSync(join(root, 'images/base'), { recursive: true });
    writeFileSync(join(root, 'images/base/start.sh'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(root, 'images/base/Dockerfile'), 'FROM scratch\n', { mode: 0o644 });
    const { lines } = run([], {});
    expect(lines.filter((line) => line.startsWith('exec '))).toEqual(['exec images/base/start.sh']);
  });
});
