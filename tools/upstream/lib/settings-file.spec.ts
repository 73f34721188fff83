import { configurationErrorOf } from '@kubeflow-images/plugin-lib/testing/configuration-error';
import { withSettingValue } from './settings-file';

const TEXT = [
  '# pins',
  'UPSTREAM_CONTAINER_CPU_UNTAGGED=quay.io/jupyter/datascience-notebook',
  '# the commit; keep this comment',
  'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=0dd81e2dd718',
  'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
  '',
  'export IMAGE_REBUILD_DATE="2026-12-01"',
  '',
].join('\n');

describe('withSettingValue', () => {
  it('changes the one value and keeps every other byte, references included', () => {
    expect(withSettingValue(TEXT, 'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT', '5a9d6ed0e4b1', 'f')).toBe(TEXT.replace('=0dd81e2dd718', '=5a9d6ed0e4b1'));
  });

  it('keeps an export prefix and the quotes', () => {
    expect(withSettingValue(TEXT, 'IMAGE_REBUILD_DATE', '2027-01-02', 'f')).toBe(TEXT.replace('"2026-12-01"', '"2027-01-02"'));
  });

  it('refuses a key the file does not set, or sets twice', () => {
    expect(configurationErrorOf(() => withSettingValue(TEXT, 'GPU_JUPYTER_HEAD_COMMIT', 'x', 'build_settings.env')).message).toBe(
      'build_settings.env does not set GPU_JUPYTER_HEAD_COMMIT: keep exactly one GPU_JUPYTER_HEAD_COMMIT=<value> line',
    );
    expect(configurationErrorOf(() => withSettingValue(`${TEXT}IMAGE_REBUILD_DATE=x\n`, 'IMAGE_REBUILD_DATE', 'y', 'f')).message).toMatch(/sets more than once/);
  });
});
