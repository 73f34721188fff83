/** One challenge of a WWW-Authenticate header, e.g. Bearer realm="...",service="...",scope="...". */
export interface Challenge {
  /** Lower-cased: "basic", "bearer", ... */
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate value (RFC 7235). Several challenges may share one
 * value (fetch joins repeated headers with ", "), and quoted values may hold
 * commas (scope="repository:a:pull,push"), so this tokenises instead of splitting.
 */
export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (!header) return challenges;
  const text = header;
  let i = 0;
  const skip = (pattern: RegExp) => {
    while (i < text.length && pattern.test(text[i])) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  const quoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i++];
    }
    i++; // closing quote
    return value;
  };

  let current: Challenge | undefined;
  while (i < text.length) {
    skip(/[\s,]/);
    if (i >= text.length) break;
    const name = token();
    if (!name) {
      i++; // stray character: ignore it rather than loop forever
      continue;
    }
    skip(/\s/);
    if (text[i] === '=' && current) {
      i++;
      skip(/\s/);
      const value = text[i] === '"' ? quoted() : token();
      current.params[name.toLowerCase()] = value;
    } else {
      // A token not followed by "=" starts a new challenge.
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The challenge to answer: Bearer when offered (the richer one), else Basic. */
export function preferredChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
