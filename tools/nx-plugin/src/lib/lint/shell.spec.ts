import { programOf, splitCommands } from './shell';

describe('splitCommands', () => {
  it('splits on operators, honours quotes and drops env prefixes', () => {
    const commands = splitCommands('DEBIAN_FRONTEND=noninteractive apt-get install -y "a b" && echo "x && y" | sha256sum -c - ; rm -rf /var/lib/apt/lists/*');
    expect(commands.map(programOf)).toEqual(['apt-get', 'echo', 'sha256sum', 'rm']);
    expect(commands[0].words).toEqual(['apt-get', 'install', '-y', 'a b']);
    expect(commands[1]).toMatchObject({ words: ['echo', 'x && y'], next: '|' });
  });

  it('collects redirect targets', () => {
    const [command] = splitCommands('printf "%s" x > "${CONDA_DIR}/etc/x" 2>/dev/null');
    expect(command.redirects).toEqual(['${CONDA_DIR}/etc/x', '/dev/null']);
    expect(command.words).toEqual(['printf', '%s', 'x']);
  });

  it('sees python -m pip as pip', () => {
    expect(programOf(splitCommands('python3 -m pip install x')[0])).toBe('pip');
  });
});

describe('splitCommands edge cases', () => {
  it('ends a command at a newline and keeps globs as words', () => {
    const commands = splitCommands('apt-get clean\nrm -rf /var/lib/apt/lists/*');
    expect(commands.map((command) => command.words)).toEqual([['apt-get', 'clean'], ['rm', '-rf', '/var/lib/apt/lists/*']]);
  });

  it('drops descriptors and input redirects from the words', () => {
    const [command] = splitCommands('sha256sum -c - < sums 2>&1');
    expect(command.words).toEqual(['sha256sum', '-c', '-']);
    expect(command.redirects).toEqual(['1']);
  });
});
