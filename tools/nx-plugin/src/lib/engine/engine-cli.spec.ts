import { failureReason, isEngineName, lastLine } from './engine-cli';

describe('lastLine', () => {
  it("is the engine's last non-blank line, trimmed", () => {
    expect(lastLine('Trying to pull...\nError: manifest unknown  \n\n')).toBe('Error: manifest unknown');
    expect(lastLine('  \n')).toBe('no output');
  });
});

describe('failureReason', () => {
  it("prefers why the program could not start over the engine's last line", () => {
    expect(failureReason({ code: null, stdout: '', stderr: '', timedOut: false, spawnError: 'spawn podman ENOENT' })).toBe('spawn podman ENOENT');
    expect(failureReason({ code: 125, stdout: '', stderr: 'Error: no such image\n', timedOut: false })).toBe('Error: no such image');
  });
});

describe('isEngineName', () => {
  it('knows docker and podman, in lower case only', () => {
    expect(['docker', 'podman', 'Docker', 'auto', 'containerd'].filter(isEngineName)).toEqual(['docker', 'podman']);
  });
});
