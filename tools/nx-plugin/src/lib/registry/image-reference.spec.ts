import { InvalidImageReferenceError } from './errors';
import {
  checkImageName,
  checkImageReference,
  assertValidTag,
  formatImageReference,
  isLoopbackRegistry,
  manifestReference,
  parseImageReference,
  writtenName,
  parseRepository,
  registryBaseUrl,
} from './image-reference';

describe('parseImageReference', () => {
  it.each([
    ['localhost:5000/base-notebook-cpu:abc123', { registry: 'localhost:5000', repository: 'base-notebook-cpu', tag: 'abc123' }],
    ['localhost:5000/base-notebook-cpu', { registry: 'localhost:5000', repository: 'base-notebook-cpu' }],
    ['localhost/ns/img:1', { registry: 'localhost', repository: 'ns/img', tag: '1' }],
    ['127.0.0.1:5000/a/b/c:x.y-z_', { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 'x.y-z_' }],
    ['myacr.azurecr.io/minimal-notebook-cpu:latest', { registry: 'myacr.azurecr.io', repository: 'minimal-notebook-cpu', tag: 'latest' }],
    ['quay.io/jupyter/datascience-notebook:2024-05-27', { registry: 'quay.io', repository: 'jupyter/datascience-notebook', tag: '2024-05-27' }],
    ['busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['jupyter/base-notebook:x', { registry: 'docker.io', repository: 'jupyter/base-notebook', tag: 'x' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
    ['index.docker.io/jupyter/base-notebook', { registry: 'docker.io', repository: 'jupyter/base-notebook' }],
    ['[::1]:5000/img:t', { registry: '[::1]:5000', repository: 'img', tag: 't' }],
  ])('%s', (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it('writtenName: the name as written, without tag or digest and without Docker Hub normalisation', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(writtenName(`localhost:5000/team/img:t@${digest}`)).toBe('localhost:5000/team/img');
    expect(writtenName('busybox:1.36')).toBe('busybox');
    expect(writtenName(' quay.io/jupyter/x ')).toBe('quay.io/jupyter/x');
    expect(() => writtenName('Bad Name:x')).toThrow(InvalidImageReferenceError);
  });

  it('keeps a digest and a tag together', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference(`localhost:5000/img:t@${digest}`)).toEqual({ registry: 'localhost:5000', repository: 'img', tag: 't', digest });
    expect(manifestReference(parseImageReference(`localhost:5000/img:t@${digest}`))).toBe(digest);
    expect(manifestReference(parseImageReference('localhost:5000/img:t'))).toBe('t');
    expect(manifestReference(parseImageReference('localhost:5000/img'))).toBe('latest');
  });

  it.each([
    ['', 'empty'],
    ['localhost:5000/Img:t', '"Img" is not a valid repository name component'],
    ['localhost:5000/img:bad tag', 'not a valid tag'],
    ['localhost:5000/img:-x', 'not a valid tag'],
    [`localhost:5000/img@sha256:abc`, 'is not a digest'],
    ['localhost:5000/', 'no repository name'],
    ['local_host:5000/img', 'is not a registry host'],
  ])('rejects %j with a message naming the problem', (text, reason) => {
    expect(() => parseImageReference(text)).toThrow(InvalidImageReferenceError);
    expect(() => parseImageReference(text)).toThrow(reason);
  });

  it('formats back', () => {
    expect(formatImageReference(parseImageReference('localhost:5000/a/b:t'))).toBe('localhost:5000/a/b:t');
    expect(formatImageReference(parseImageReference('busybox'))).toBe('docker.io/library/busybox');
  });
});

describe('parseRepository', () => {
  it('takes a repository without tag', () => {
    expect(parseRepository('localhost:5000/a/b')).toEqual({ registry: 'localhost:5000', repository: 'a/b' });
  });
  it('refuses a tag', () => {
    expect(() => parseRepository('localhost:5000/a:t')).toThrow('takes no tag');
  });
});

describe('registryBaseUrl', () => {
  it.each([
    ['localhost:5000', 'http://localhost:5000'],
    ['localhost', 'http://localhost'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['127.1.2.3:80', 'http://127.1.2.3:80'],
    ['[::1]:5000', 'http://[::1]:5000'],
    ['myacr.azurecr.io', 'https://myacr.azurecr.io'],
    ['registry.example.com:8443', 'https://registry.example.com:8443'],
    ['localhost.example.com:5000', 'https://localhost.example.com:5000'],
    ['docker.io', 'https://registry-1.docker.io'],
  ])('%s → %s', (registry, url) => {
    expect(registryBaseUrl(registry)).toBe(url);
  });

  it('knows loopback hosts', () => {
    expect(isLoopbackRegistry('localhost:1')).toBe(true);
    expect(isLoopbackRegistry('128.0.0.1:1')).toBe(false);
  });
});

describe('assertValidTag', () => {
  it('accepts content and human tags', () => {
    expect(() => assertValidTag('content-0123456789abcdef01234567')).not.toThrow();
    expect(() => assertValidTag('v1.2_rc-3')).not.toThrow();
  });

  it.each(['', '-x', '.x', 'a/b', 'a:b', 'a'.repeat(129)])('rejects "%s"', (tag) => {
    expect(() => assertValidTag(tag, 'registry/repo:tag')).toThrow(InvalidImageReferenceError);
  });
});

describe('checkImageName', () => {
  it.each(['geomatics-notebook', 'r-studio', 'team/minimal-notebook', 'a.b_c'])('accepts %s', (name) => {
    expect(() => checkImageName('images/x/project.json: metadata.imageName', name)).not.toThrow();
  });

  it.each([
    ['Geo Matics!', '"Geo Matics!" is not a valid path component'],
    ['minimal-notebook:1.0', 'a tag or digest is added by the build'],
    ['', 'empty'],
    ['-leading', '"-leading" is not a valid path component'],
  ])('rejects %j, naming the place and what is allowed', (name, reason) => {
    expect(() => checkImageName('images/x/project.json: metadata.imageName', name)).toThrow(
      `images/x/project.json: metadata.imageName=${JSON.stringify(name)} is not an image name (${reason}): use lower-case letters, digits and . _ -`,
    );
  });

  it('gives the limit and says to shorten an over-long name (its letters are fine)', () => {
    expect(() => checkImageName('images/x/project.json: metadata.imageName', 'a'.repeat(200))).not.toThrow();
    expect(() => checkImageName('images/x/project.json: metadata.imageName', 'a'.repeat(308))).toThrow(
      /^images\/x\/project\.json: metadata\.imageName="a+…a+ \(308 characters\)" is 308 characters long, over the limit of 200 \(registry, name and -<stream> suffix together are at most 255\): shorten it$/,
    );
  });
});

describe('checkImageReference', () => {
  it('shortens a huge value to one readable line', () => {
    const message = (() => {
      try {
        checkImageReference('build_settings.env:9: UPSTREAM_CONTAINER_CPU', `quay.io/x/y:${'a'.repeat(200_000)}`);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^build_settings\.env:9: UPSTREAM_CONTAINER_CPU="quay\.io\/x\/y:a+…a+ \(200012 characters\)" is not an image reference \(200012 characters/);
    expect(message.length).toBeLessThan(400);
  });
});

describe('writtenName for a build record\'s image', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`;
  it('drops the tag and a digest (CI re-pins records to repo@digest), not a registry port', () => {
    expect(writtenName('localhost:5000/e2e/base-notebook-cpu:content-1')).toBe('localhost:5000/e2e/base-notebook-cpu');
    expect(writtenName('localhost:5000/base')).toBe('localhost:5000/base');
    expect(writtenName(`localhost:5000/e2e/base-notebook-cpu@${DIGEST}`)).toBe('localhost:5000/e2e/base-notebook-cpu');
    expect(writtenName(`localhost:5000/e2e/base-notebook-cpu:content-1@${DIGEST}`)).toBe('localhost:5000/e2e/base-notebook-cpu');
  });
});
