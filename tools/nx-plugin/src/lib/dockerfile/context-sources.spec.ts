import { contextSources } from './context-sources';
import { parseDockerfile } from './parse-dockerfile';

const sources = (text: string) => contextSources(parseDockerfile(text).instructions[0]);

describe('contextSources', () => {
  it('lists the context files a COPY or ADD reads, without flags, destination or quotes', () => {
    expect(sources('COPY --chown="${NB_UID}:${NB_GID}" initial-condarc "${CONDA_DIR}/.condarc"')).toEqual(['initial-condarc']);
    expect(sources('COPY run-hooks.sh start.sh /usr/local/bin/')).toEqual(['run-hooks.sh', 'start.sh']);
    expect(sources('ADD --chmod=755 "start.sh" \\\n  conf/ /x/')).toEqual(['start.sh', 'conf/']);
    expect(sources('COPY *.sh /usr/local/bin/')).toEqual(['*.sh']);
  });

  it('reads the JSON form, also after flags', () => {
    expect(sources('COPY ["a b", "/x/"]')).toEqual(['a b']);
    expect(sources('COPY --chown=1000 ["a b", "c", "/x/"]')).toEqual(['a b', 'c']);
    expect(sources('COPY ["a b", ')).toEqual([]);
  });

  it('leaves out what cannot be checked against the context', () => {
    expect(sources('COPY --from=builder /x /y')).toEqual([]);
    expect(sources('ADD https://example.org/x.tgz $HOME/*.py git@github.com:o/r.git /y')).toEqual([]);
    expect(sources('COPY <<EOF /x\nhello\nEOF\n')).toEqual([]);
    expect(sources('COPY --chmod=755 <<A <<B /y/\na\nA\nb\nB\n')).toEqual([]);
    expect(sources('RUN cp a b')).toEqual([]);
  });
});
