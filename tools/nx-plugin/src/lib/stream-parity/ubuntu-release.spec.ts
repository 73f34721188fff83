import { ubuntuFromImageConfig, ubuntuFromImageTag } from './ubuntu-release';

describe('ubuntuFromImageTag', () => {
  it.each([
    ['nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04', '24.04'],
    ['docker.io/nvidia/cuda:11.8.0-base-ubuntu22.04', '22.04'],
    ['nvcr.io/nvidia/cuda:12.2.0-devel-ubuntu20.04', '20.04'],
    ['localhost:5000/cuda:ubuntu-22.04-extra', '22.04'],
  ])('%s -> %s', (image, release) => {
    expect(ubuntuFromImageTag(image)).toEqual({ release, source: `tag of ${image}` });
  });

  it('says why when the tag does not tell', () => {
    expect(ubuntuFromImageTag('nvidia/cuda:12.2.0-devel-ubi8')).toEqual({ release: null, reason: 'nvidia/cuda:12.2.0-devel-ubi8 is a ubi8 image, not Ubuntu' });
    expect(ubuntuFromImageTag('nvidia/cuda:12.9.1-runtime-rockylinux9').release).toBeNull();
    expect(ubuntuFromImageTag(`nvidia/cuda@sha256:${'a'.repeat(64)}`)).toEqual({ release: null, reason: `nvidia/cuda@sha256:${'a'.repeat(64)} has no tag to read it from` });
    expect(ubuntuFromImageTag('nvidia/cuda:latest')).toEqual({ release: null, reason: 'the tag of nvidia/cuda:latest names no ubuntuXX.YY' });
    expect(ubuntuFromImageTag('Not A Reference').release).toBeNull();
  });
});

describe('ubuntuFromImageConfig', () => {
  it("reads Canonical's labels, which children inherit", () => {
    const config = { config: { Labels: { 'org.opencontainers.image.ref.name': 'ubuntu', 'org.opencontainers.image.version': '24.04', maintainer: 'Jupyter Project' } } };
    expect(ubuntuFromImageConfig(config)).toEqual({ release: '24.04', source: 'image label org.opencontainers.image.version' });
  });

  it('reads the base name label', () => {
    const config = { config: { Labels: { 'org.opencontainers.image.base.name': 'docker.io/library/ubuntu:22.04' } } };
    expect(ubuntuFromImageConfig(config)).toEqual({ release: '22.04', source: 'image label org.opencontainers.image.base.name' });
  });

  it('falls back to the LABEL steps in the history when a child overrode the labels', () => {
    const config = {
      config: { Labels: { 'org.opencontainers.image.version': '2025-01-01', maintainer: 'Jupyter Project' } },
      history: [
        { created_by: '/bin/sh -c #(nop)  ARG RELEASE' },
        { created_by: '/bin/sh -c #(nop)  LABEL org.opencontainers.image.ref.name=ubuntu' },
        { created_by: '/bin/sh -c #(nop)  LABEL org.opencontainers.image.version=24.04' },
        { created_by: '/bin/sh -c #(nop) ADD file:0123 in / ' },
        { created_by: 'LABEL org.opencontainers.image.version=2025-01-01' },
      ],
    };
    expect(ubuntuFromImageConfig(config)).toEqual({ release: '24.04', source: 'image history (LABEL org.opencontainers.image.version=24.04)' });
  });

  it('is unknown, with the reason, when the config tells nothing', () => {
    expect(ubuntuFromImageConfig({ os: 'linux', config: { Labels: { maintainer: 'Jupyter Project' } }, history: [{ created_by: 'RUN echo hi' }] })).toEqual({
      release: null,
      reason: 'its image config (os linux) has no Ubuntu label or LABEL step in its history',
    });
    expect(ubuntuFromImageConfig({ config: { Labels: null } }).release).toBeNull();
    // A version label of another distribution proves nothing.
    expect(ubuntuFromImageConfig({ config: { Labels: { 'org.opencontainers.image.ref.name': 'debian', 'org.opencontainers.image.version': '12.04' } } }).release).toBeNull();
  });
});
