import { parseDockerfile } from '../dockerfile/parse-dockerfile';
import { layerOrigins, parseCreatedBy } from './dockerfile-layers';

const DOCKERFILE = parseDockerfile(
  [
    'ARG BASE_CONTAINER',
    'FROM $BASE_CONTAINER',
    'USER root',
    'RUN head -c 10485760 /dev/zero > /big && \\',
    '    echo done',
    'COPY start.sh /usr/local/bin/',
    'RUN true',
    'RUN chmod 600 /big',
    'USER 1000',
    '',
  ].join('\n'),
);

describe('parseCreatedBy', () => {
  it('reads buildah, docker and BuildKit history', () => {
    expect(parseCreatedBy('/bin/sh -c #(nop) COPY file:abc in /usr/local/bin/ ')).toEqual({ keyword: 'COPY', text: 'file:abc in /usr/local/bin/' });
    expect(parseCreatedBy('/bin/sh -c chmod 600 /big')).toEqual({ keyword: 'RUN', text: 'chmod 600 /big' });
    expect(parseCreatedBy('|1 BASE_CONTAINER=x /bin/sh -c chmod 600 /big')).toEqual({ keyword: 'RUN', text: 'chmod 600 /big' });
    expect(parseCreatedBy('RUN /bin/sh -c chmod 600 /big # buildkit')).toEqual({ keyword: 'RUN', text: 'chmod 600 /big' });
    expect(parseCreatedBy('COPY start.sh /usr/local/bin/ # buildkit')).toEqual({ keyword: 'COPY', text: 'start.sh /usr/local/bin/' });
  });
});

describe('layerOrigins', () => {
  const inherited = [{ created_by: '/bin/sh -c #(nop) COPY file:1 in /bin/busybox' }, { created_by: '/bin/sh -c #(nop) USER 1000', empty_layer: true }];

  it('maps own layers to their instruction lines and leaves inherited ones unmapped', () => {
    const history = [
      ...inherited,
      { created_by: '/bin/sh -c #(nop) USER root', empty_layer: true },
      { created_by: '/bin/sh -c head -c 10485760 /dev/zero > /big && echo done' },
      { created_by: '/bin/sh -c #(nop) COPY file:2 in /usr/local/bin/' },
      { created_by: '/bin/sh -c true' },
      { created_by: '/bin/sh -c chmod 600 /big' },
      { created_by: '/bin/sh -c #(nop) USER 1000', empty_layer: true },
    ];
    expect(layerOrigins(history, 5, 1, DOCKERFILE).map((origin) => origin.dockerfileLine)).toEqual([null, 4, 6, 7, 8]);
    expect(layerOrigins(history, 5, 1, DOCKERFILE)[4]).toEqual({ createdBy: '/bin/sh -c chmod 600 /big', dockerfileLine: 8, instruction: 'RUN chmod 600 /big' });
  });

  it('skips a RUN that made no layer instead of shifting the later lines', () => {
    const history = [
      ...inherited,
      { created_by: '/bin/sh -c head -c 10485760 /dev/zero > /big && echo done' },
      { created_by: '/bin/sh -c #(nop) COPY file:2 in /usr/local/bin/' },
      { created_by: '/bin/sh -c true', empty_layer: true },
      { created_by: '/bin/sh -c chmod 600 /big' },
    ];
    expect(layerOrigins(history, 4, 1, DOCKERFILE).map((origin) => origin.dockerfileLine)).toEqual([null, 4, 6, 8]);
  });

  it('maps nothing when history and layers disagree', () => {
    expect(layerOrigins(inherited, 3, 1, DOCKERFILE)).toEqual(Array(3).fill({ createdBy: null, dockerfileLine: null, instruction: null }));
  });
});
