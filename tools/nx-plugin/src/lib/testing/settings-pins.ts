/** The required pins of a valid build_settings.env, as lines; specs add or change the rest. */
export const VALID_PIN_LINES: readonly string[] = [
  'UPSTREAM_CONTAINER_CPU_UNTAGGED=quay.io/jupyter/datascience-notebook',
  'UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=abc123def456',
  'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
  'DOCKER_STACKS_REPO=https://github.com/jupyter/docker-stacks.git',
  'GPU_JUPYTER_REPO=https://github.com/iot-salzburg/gpu-jupyter.git',
  'GPU_JUPYTER_HEAD_COMMIT=0000000000000000000000000000000000000000',
];
