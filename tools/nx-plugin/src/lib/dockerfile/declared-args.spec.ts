import { configurationErrorOf } from '../testing/configuration-error';
import { checkBuildArgsDeclared, declaredArgs } from './declared-args';

const DOCKERFILE = [
  'ARG BASE_CONTAINER',
  'FROM $BASE_CONTAINER',
  'ARG IMAGE_REBUILD_DATE',
  'ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu CUDA_WHEELS',
  'RUN echo "$TORCH_INDEX"',
  '',
].join('\n');

describe('declaredArgs', () => {
  it('lists every ARG name, with or without a default, several per line', () => {
    expect([...declaredArgs(DOCKERFILE)].sort()).toEqual(['BASE_CONTAINER', 'CUDA_WHEELS', 'IMAGE_REBUILD_DATE', 'TORCH_INDEX']);
  });
});

describe('checkBuildArgsDeclared', () => {
  const check = (buildArgs: Record<string, string>) =>
    checkBuildArgsDeclared(buildArgs, DOCKERFILE, 'images/machine-learning/project.json: machine-learning:build-gpu', 'images/machine-learning/Dockerfile');

  it('accepts declared args and the predefined proxy and platform args', () => {
    expect(() => check({ TORCH_INDEX: 'x', CUDA_WHEELS: 'true', HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'localhost', TARGETARCH: 'amd64' })).not.toThrow();
  });

  it('refuses a key no ARG declares, naming the project.json, the target, the Dockerfile and the fix', () => {
    expect(configurationErrorOf(() => check({ TORCH_INDEX: 'x', TORCH_INDX: 'y' })).message).toBe(
      'images/machine-learning/project.json: machine-learning:build-gpu buildArgs.TORCH_INDX is no ARG of images/machine-learning/Dockerfile, so the build would ignore it: declare `ARG TORCH_INDX` in the Dockerfile before it is used, or remove the key',
    );
  });
});
