import { blobGets } from './registry-access-log';

describe('blobGets', () => {
  it('reads the blob downloads of an access log, with repository, status and bytes', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const log = [
      `172.17.0.1 - - [01/Dec/2026:10:00:00 +0000] "GET /v2/team/img/blobs/${digest} HTTP/1.1" 200 812 "" "podman"`,
      `172.17.0.1 - - [01/Dec/2026:10:00:01 +0000] "HEAD /v2/team/img/blobs/${digest} HTTP/1.1" 200 0 "" "podman"`,
      `172.17.0.1 - - [01/Dec/2026:10:00:02 +0000] "GET /v2/team/img/manifests/latest HTTP/1.1" 200 500 "" "podman"`,
      `172.17.0.1 - - [01/Dec/2026:10:00:03 +0000] "GET /v2/other/blobs/${digest} HTTP/1.1" 307 - "" "podman"`,
      '',
    ].join('\n');
    expect(blobGets(log)).toEqual([
      { repository: 'team/img', digest, status: 200, bytes: 812 },
      { repository: 'other', digest, status: 307, bytes: 0 },
    ]);
  });
});
