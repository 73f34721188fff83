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

