import { git as runGit } from '../../git/run-git';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Small git repositories that look like jupyter/docker-stacks and
 * iot-salzburg/gpu-jupyter where the generation touches them, so tests run
 * the same steps offline. Shared by the unit tests and the Nx CLI test.
 */

const git = (cwd: string, ...args: string[]) => runGit(cwd, args);

export interface FixtureRepo {
  path: string;
  /** Writes (string) or deletes (null) files, commits them on the current branch and returns the commit. */
  commit(files: Record<string, string | null>, message: string): string;
  /** Moves the branch back to a commit, e.g. to grow a side branch from it. */
  checkout(commit: string, branch: string): void;
}

function fixtureRepo(path: string): FixtureRepo {
  mkdirSync(path, { recursive: true });
  git(path, 'init', '--quiet', '--initial-branch', 'main');
  git(path, 'config', 'user.email', 'fixtures@kubeflow-images.local');
  git(path, 'config', 'user.name', 'fixtures');
  return {
    path,
    commit(files, message) {
      for (const [file, content] of Object.entries(files)) {
        const target = join(path, file);
        if (content === null) {
          rmSync(target, { recursive: true, force: true });
          continue;
        }
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
        if (file.endsWith('.sh') || file.endsWith('fix-permissions')) chmodSync(target, 0o755);
      }
      git(path, 'add', '--all');
      git(path, 'commit', '--quiet', '--allow-empty', '-m', message);
      return git(path, 'rev-parse', 'HEAD');
    },
    checkout(commit, branch) {
      git(path, 'checkout', '--quiet', '-B', branch, commit);
    },
  };
}

/** The line each docker-stacks fixture image appends to /lineage, so a built image shows which layers it has. */
export const lineageRun = (name: string) => `RUN echo ${name} >> /lineage`;

/**
 * The docker-stacks layout generate-Dockerfile.sh reads (images/<name>/Dockerfile and the files they copy).
 * The generated Dockerfile builds for real on a scratch + busybox image: the RUN steps only append to /lineage,
 * and NB_UID/NB_GID/CONDA_DIR are defined as docker-stacks defines them, for the COPY --chown lines.
 * Like docker-stacks it ends as the notebook user, who owns HOME and CONDA_DIR, and its start command
 * serves HTTP on 8888 at the root (busybox httpd stands in for the notebook server), so the built
 * image passes a container test; /lineage stays writable for the images built on it.
 */
function dockerStacksFiles(revision: string): Record<string, string> {
  const child = (name: string, parent: string, body: string) =>
    [`ARG REGISTRY=quay.io`, `ARG OWNER=jupyter`, `ARG BASE_IMAGE=$REGISTRY/$OWNER/${parent}`, `FROM $BASE_IMAGE`, `LABEL fixture.image="${name}"`, body, lineageRun(name), ''].join('\n');
  return {
    'README.md': '# docker-stacks look-alike\n',
    'images/docker-stacks-foundation/Dockerfile': [
      'ARG ROOT_IMAGE=ubuntu:24.04',
      'FROM $ROOT_IMAGE',
      `LABEL fixture.docker-stacks="${revision}"`,
      'ARG NB_USER="jovyan"',
      'ARG NB_UID="1000"',
      'ARG NB_GID="100"',
      'USER root',
      'ENV CONDA_DIR=/opt/conda NB_USER="${NB_USER}" NB_UID=${NB_UID} NB_GID=${NB_GID}',
      lineageRun('docker-stacks-foundation'),
      'COPY fix-permissions /usr/local/bin/fix-permissions',
      'COPY --chown="${NB_UID}:${NB_GID}" initial-condarc "${CONDA_DIR}/.condarc"',
      'COPY run-hooks.sh start.sh /usr/local/bin/',
      'COPY 10activate-conda-env.sh /usr/local/bin/before-notebook.d/',
      'ENV HOME=/home/${NB_USER}',
      'RUN mkdir -p "${HOME}" && chown -R "${NB_UID}:${NB_GID}" "${HOME}" "${CONDA_DIR}" && chmod 666 /lineage',
      '',
    ].join('\n'),
    'images/docker-stacks-foundation/fix-permissions': '#!/bin/sh\nexit 0\n',
    'images/docker-stacks-foundation/initial-condarc': 'channels: [conda-forge]\n',
    'images/docker-stacks-foundation/start.sh': '#!/bin/sh\nexec "$@"\n',
    'images/docker-stacks-foundation/run-hooks.sh': '#!/bin/sh\n',
    'images/docker-stacks-foundation/10activate-conda-env.sh': '#!/bin/sh\n',
    'images/base-notebook/Dockerfile': child(
      'base-notebook',
      'docker-stacks-foundation',
      'COPY start-notebook.py start-notebook.sh start-singleuser.py start-singleuser.sh /usr/local/bin/\nCOPY jupyter_server_config.py docker_healthcheck.py /etc/jupyter/',
    ),
    'images/base-notebook/jupyter_server_config.py': 'c = get_config()\n',
    'images/base-notebook/start-notebook.sh': '#!/bin/sh\nmkdir -p /tmp/www && echo fixture > /tmp/www/index.html && exec httpd -f -p 8888 -h /tmp/www\n',
    'images/base-notebook/start-notebook.py': 'print("start")\n',
    'images/base-notebook/start-singleuser.sh': '#!/bin/sh\n',
    'images/base-notebook/start-singleuser.py': 'print("single")\n',
    'images/base-notebook/docker_healthcheck.py': 'print("ok")\n',
    'images/minimal-notebook/Dockerfile': child(
      'minimal-notebook',
      'base-notebook',
      'COPY --chown=${NB_UID}:${NB_GID} Rprofile.site /opt/conda/lib/R/etc/\nCOPY setup-scripts/ /opt/setup-scripts/',
    ),
    'images/minimal-notebook/Rprofile.site': 'options(repos = "https://cloud.r-project.org")\n',
    'images/minimal-notebook/setup-scripts/setup_julia.py': 'print("julia")\n',
    'images/scipy-notebook/Dockerfile': child('scipy-notebook', 'minimal-notebook', 'RUN echo scipy-notebook'),
    'images/datascience-notebook/Dockerfile': child(
      'datascience-notebook',
      'scipy-notebook',
      'RUN echo datascience-notebook\nUSER ${NB_UID}\nCMD ["/usr/local/bin/start-notebook.sh"]',
    ),
  };
}

export interface DockerStacksFixture {
  repo: FixtureRepo;
  /** Two commits on main; the older one is the pin in the tests, so a `git pull` to the tip would show. */
  commits: [string, string];
}

export function createDockerStacksFixture(path: string): DockerStacksFixture {
  const repo = fixtureRepo(path);
  const first = repo.commit(dockerStacksFiles('one'), 'docker-stacks one');
  const second = repo.commit(dockerStacksFiles('two'), 'docker-stacks two');
  return { repo, commits: [first, second] };
}

/**
 * A condensed generate-Dockerfile.sh that behaves like gpu-jupyter's where it
 * matters: same flags, cd to its own directory, clones docker-stacks from
 * GitHub when .build/docker-stacks/README.md is missing, `git pull && git
 * reset --hard <commit>` there, strips the docker-stacks FROMs with grep,
 * always cats the gpulibs fragment, and does not stop on errors.
 */
export const GENERATOR_SCRIPT = `#!/usr/bin/env bash
cd $(cd -P -- "$(dirname -- "$0")" && pwd -P)
export DOCKERFILE=".build/Dockerfile"
export STACKS_DIR=".build/docker-stacks"
export HEAD_COMMIT="0000000000000000000000000000000000000000"

while [[ "$#" -gt 0 ]]; do case $1 in
  -p|--pw|--password) PASSWORD="$2" && USE_PASSWORD=1; shift;;
  -c|--commit) HEAD_COMMIT="$2"; shift;;
  --no-datascience-notebook) no_datascience_notebook=1;;
  --python-only) no_datascience_notebook=1;;
  --no-useful-packages) no_useful_packages=1;;
  -s|--slim) no_datascience_notebook=1 && no_useful_packages=1;;
  -h|--help) HELP=1;;
  *) echo "Unknown parameter passed: $1" && HELP=1;;
esac; shift; done

if [[ "$HELP" == 1 ]]; then
  echo "Usage: $0 [-c|--commit sha] [--python-only] [--no-useful-packages] [-s|--slim] [-h|--help]"
  exit 21
fi

ls $STACKS_DIR/README.md > /dev/null 2>&1 || (echo "Docker-stacks was not found, cloning repository" \\
  && git clone https://github.com/jupyter/docker-stacks.git $STACKS_DIR)
export GOT_HEAD="false"
cd $STACKS_DIR && git pull && git reset --hard "$HEAD_COMMIT" > /dev/null 2>&1 && cd - && export GOT_HEAD="true"
if [[ "$GOT_HEAD" == "false" ]]; then
  echo "Error: The provided sha-commit is invalid."
  exit 2
fi

echo "# This Dockerfile is generated by 'generate-Dockerfile.sh' from elements within 'custom/'
" > $DOCKERFILE
cat custom/header.Dockerfile >> $DOCKERFILE

for image in docker-stacks-foundation base-notebook minimal-notebook scipy-notebook; do
  echo "
############################################################################
#################### Dependency: jupyter/$image ####################
############################################################################
" >> $DOCKERFILE
  cat $STACKS_DIR/images/$image/Dockerfile | grep -v 'BASE_IMAGE' | grep -v 'FROM $ROOT_IMAGE' >> $DOCKERFILE
done
cp $STACKS_DIR/images/docker-stacks-foundation/{initial-condarc,fix-permissions,start.sh,run-hooks.sh,10activate-conda-env.sh} .build/
cp $STACKS_DIR/images/base-notebook/{jupyter_server_config.py,start-notebook.sh,start-notebook.py,start-singleuser.sh,start-singleuser.py,docker_healthcheck.py} .build/
cp -r $STACKS_DIR/images/minimal-notebook/setup-scripts .build/
cp $STACKS_DIR/images/minimal-notebook/Rprofile.site .build/
chmod 755 .build/*

if [[ "$no_datascience_notebook" != 1 ]]; then
  echo "
#################### Dependency: jupyter/datascience-notebook ####################
" >> $DOCKERFILE
  cat $STACKS_DIR/images/datascience-notebook/Dockerfile | grep -v BASE_IMAGE >> $DOCKERFILE
fi

echo "
############################################################################
########################## Dependency: gpulibs #############################
############################################################################
" >> $DOCKERFILE
cat custom/gpulibs.Dockerfile >> $DOCKERFILE

if [[ "$no_useful_packages" != 1 ]]; then
  echo "
  ############################################################################
  ############################ Useful packages ###############################
  ############################################################################
  " >> $DOCKERFILE
  cat custom/usefulpackages.Dockerfile >> $DOCKERFILE
fi

cp custom/jupyter_server_config_token_addendum.py .build/
echo >> $DOCKERFILE
echo "ARG JUPYTER_TOKEN" >> $DOCKERFILE
echo "COPY jupyter_server_config_token_addendum.py /etc/jupyter/" >> $DOCKERFILE
echo "The GPU Dockerfile was generated successfully in file \${DOCKERFILE}."
`;

/** The base image of the fixture header, as gpu-jupyter's names it. */
export const FIXTURE_CUDA_IMAGE = 'nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04';
/** What the generated Dockerfile starts from instead (the same CUDA in its base flavour); a test that builds makes a local image of that name. */
export const FIXTURE_CUDA_BASE = 'nvidia/cuda:12.9.1-base-ubuntu24.04';

export const HEADER = (revision: string, base = FIXTURE_CUDA_IMAGE) =>
  `# Use NVIDIA CUDA as base image\nFROM ${base}\nLABEL fixture.gpu-jupyter="${revision}"\nRUN chmod 1777 /tmp && chmod 1777 /var/tmp\n`;

export const GPULIBS = [
  'LABEL authors="fixture"',
  'USER ${NB_UID}',
  'RUN pip install --no-cache-dir tensorflow[and-cuda]==2.20.0 && \\',
  '    fix-permissions "${CONDA_DIR}"',
  'RUN pip install --no-cache-dir torch==2.9.1 --index-url https://download.pytorch.org/whl/cu128',
  'ENV CUDA_PATH=/opt/conda/',
  '',
].join('\n');

export const USEFUL_PACKAGES = 'USER root\nRUN apt-get update && apt-get -y install --no-install-recommends htop graphviz\nUSER $NB_UID\n';

export interface GpuJupyterFixture {
  repo: FixtureRepo;
  /** Two commits of the current custom/ layout; the second changes the header's label. */
  commits: [string, string];
}

export function createGpuJupyterFixture(path: string): GpuJupyterFixture {
  const repo = fixtureRepo(path);
  // Like gpu-jupyter, .build/docker-stacks is a submodule entry (gitlink) that a plain checkout leaves empty.
  mkdirSync(join(path, '.build', 'docker-stacks'), { recursive: true });
  git(path, 'update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},.build/docker-stacks`);
  const first = repo.commit(
    {
      'generate-Dockerfile.sh': GENERATOR_SCRIPT,
      'custom/header.Dockerfile': HEADER('one'),
      'custom/gpulibs.Dockerfile': GPULIBS,
      'custom/usefulpackages.Dockerfile': USEFUL_PACKAGES,
      'custom/jupyter_server_config_token_addendum.py': 'c.IdentityProvider.token = ""\n',
      // Committed output of an earlier run, as gpu-jupyter does; it must not reach the context.
      '.build/stale-from-an-earlier-run.txt': 'stale\n',
      'extra/Getting_Started/README.md': 'demo\n',
    },
    'gpu-jupyter one',
  );
  const second = repo.commit({ 'custom/header.Dockerfile': HEADER('two') }, 'gpu-jupyter two');
  return { repo, commits: [first, second] };
}
