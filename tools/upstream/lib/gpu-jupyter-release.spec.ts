import { formatReleaseReport, releaseReport, releasesOf } from './gpu-jupyter-release';

const sha = (c: string) => c.repeat(40);
const LS_REMOTE = [
  `${sha('1')}\trefs/tags/v1.9_cuda-12.6_ubuntu-24.04`,
  `${sha('2')}\trefs/tags/v1.10_cuda-12.9_ubuntu-24.04`, // annotated: the tag object…
  `${sha('3')}\trefs/tags/v1.10_cuda-12.9_ubuntu-24.04^{}`, // …and the commit it points to
  `${sha('4')}\trefs/tags/v1.11_cuda-13.0_ubuntu-24.04`,
  `${sha('5')}\trefs/tags/v1.11_cuda-12.9_ubuntu-24.04`,
  `${sha('6')}\trefs/tags/nightly`,
].join('\n');

describe('gpu-jupyter releases', () => {
  it('reads release tags, an annotated one at its commit, and skips tags without a version', () => {
    expect(releasesOf(LS_REMOTE).map((r) => [r.tag, r.commit[0], r.version])).toEqual([
      ['v1.9_cuda-12.6_ubuntu-24.04', '1', [1, 9]],
      ['v1.10_cuda-12.9_ubuntu-24.04', '3', [1, 10]],
      ['v1.11_cuda-13.0_ubuntu-24.04', '4', [1, 11]],
      ['v1.11_cuda-12.9_ubuntu-24.04', '5', [1, 11]],
    ]);
  });

  it('reports every variant of the newest release when it is newer than the pin (1.11 > 1.10 > 1.9)', () => {
    const report = releaseReport(releasesOf(LS_REMOTE), sha('3'));
    expect(report.pinned?.tag).toBe('v1.10_cuda-12.9_ubuntu-24.04');
    expect(report.newer.map((r) => r.tag)).toEqual(['v1.11_cuda-12.9_ubuntu-24.04', 'v1.11_cuda-13.0_ubuntu-24.04']);
    expect(formatReleaseReport(report, sha('3'))).toMatch(/^gpu-jupyter: a newer release than GPU_JUPYTER_HEAD_COMMIT v1\.10_cuda-12\.9_ubuntu-24\.04 \(333333333333\): v1\.11_cuda-12\.9/);
  });

  it('is quiet when the pin is the newest release, and names a pin that is no release', () => {
    expect(releaseReport(releasesOf(LS_REMOTE), sha('4')).newer).toEqual([]);
    expect(formatReleaseReport(releaseReport(releasesOf(LS_REMOTE), sha('4')), sha('4'))).toBe(
      'gpu-jupyter: GPU_JUPYTER_HEAD_COMMIT is v1.11_cuda-13.0_ubuntu-24.04 (444444444444), the newest release',
    );
    const unreleased = releaseReport(releasesOf(LS_REMOTE), sha('9'));
    expect(unreleased.pinned).toBeNull();
    expect(formatReleaseReport(unreleased, sha('9'))).toContain('999999999999, which is no release tag: v1.11');
  });
});
