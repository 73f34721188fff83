import { parseWwwAuthenticate, preferredChallenge } from './www-authenticate';

describe('parseWwwAuthenticate', () => {
  it('parses a Docker Hub bearer challenge with a comma inside the scope', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' },
      },
    ]);
  });

  it('parses distribution htpasswd basic challenge', () => {
    expect(parseWwwAuthenticate('Basic realm="kf-e2e"')).toEqual([{ scheme: 'basic', params: { realm: 'kf-e2e' } }]);
  });

  it('parses insufficient_scope errors, unquoted values, spaces and escapes', () => {
    expect(parseWwwAuthenticate('Bearer realm = "https://r/t" , error=insufficient_scope, error_description="a \\"quoted\\" word"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://r/t', error: 'insufficient_scope', error_description: 'a "quoted" word' } },
    ]);
  });

  it('splits several challenges joined in one header', () => {
    const challenges = parseWwwAuthenticate('Basic realm="b", Bearer realm="https://t/token",service="s"');
    expect(challenges.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(preferredChallenge(challenges)).toEqual({ scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } });
  });

  it('copes with nothing or garbage', () => {
    expect(parseWwwAuthenticate(null)).toEqual([]);
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(preferredChallenge(parseWwwAuthenticate('Negotiate'))).toBeUndefined();
    expect(() => parseWwwAuthenticate('=,"==  ;;')).not.toThrow();
  });
});
