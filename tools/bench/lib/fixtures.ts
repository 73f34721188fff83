import { fixtureDockerfile } from '../../e2e/support/podman-fixtures';

export interface WorkPerImage {
  /** MB of random data each image adds as a layer. */
  layerMb: number;
  /** Seconds each image's RUN step sleeps: stands in for package installs. */
  runSeconds: number;
}

/**
 * The e2e suite's fixture (ARG BASE_CONTAINER, FROM it, append the name to
 * /lineage) plus realistic work in the same RUN: a layer of incompressible
 * data and some seconds of build time. `revision` > 1 changes the Dockerfile
 * (and so the image) the way an edit would.
 */
export function benchDockerfile(project: string, work: WorkPerImage, revision = 1): string {
  const file = `/opt/${project}.bin`;
  const heavyWork = `mkdir -p /opt && dd if=/dev/urandom of=${file} bs=1M count=${work.layerMb} 2>/dev/null && sleep ${work.runSeconds}`;
  return fixtureDockerfile(revision > 1 ? `${project}-v${revision}` : project, heavyWork);
}

/** build_settings.env for the bench copy: the cpu parent is the fixture upstream in the local registry, podman builds. */
export function benchBuildSettings(upstreamRepository: string, upstreamTag: string): string {
  return [
    '# Written by tools/bench: the cpu parent is a scratch + busybox fixture in the local registry.',
    `UPSTREAM_CONTAINER_CPU_UNTAGGED=${upstreamRepository}`,
    `UPSTREAM_CONTAINER_CPU_HEAD_COMMIT=${upstreamTag}`,
    'UPSTREAM_CONTAINER_CPU=${UPSTREAM_CONTAINER_CPU_UNTAGGED}:${UPSTREAM_CONTAINER_CPU_HEAD_COMMIT}',
    'DOCKER_STACKS_REPO=/nonexistent/docker-stacks',
    'GPU_JUPYTER_REPO=/nonexistent/gpu-jupyter',
    'GPU_JUPYTER_HEAD_COMMIT=0000000000000000000000000000000000000000',
    'IMAGE_REGISTRY=',
    'IMAGE_ENGINE=podman',
    '',
  ].join('\n');
}
