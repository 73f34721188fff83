import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { readBuildContextFiles } from './build-context-files';
import { formatFinding, formatWaived } from './format';
import { lintDockerfile, type LintOptions } from './lint-dockerfile';
import type { BuildContextFiles } from './types';

const HEAD = 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nARG IMAGE_REBUILD_DATE\nLABEL io.kubeflow-images.rebuild-date="${IMAGE_REBUILD_DATE}"\nUSER root\n';
const TAIL = '\nUSER ${NB_UID}\n';
const FIX = ' && \\\n    fix-permissions "${CONDA_DIR}" && \\\n    fix-permissions "/home/${NB_USER}"';

/** A house-style Dockerfile with `body` between the header and the final USER. */
const dockerfile = (body: string) => `${HEAD}${body}${TAIL}`;
const rulesOf = (text: string, options: LintOptions = {}) => lintDockerfile(text, options).findings.map((f) => f.rule);

describe('lintDockerfile house rules', () => {
  const cases: Array<{ rule: string; passing: string; failing: string; options?: LintOptions }> = [
    {
      rule: 'fix-permissions-same-run',
      passing: dockerfile(`RUN pip install --no-cache-dir "x==1"${FIX}\n`),
      failing: dockerfile('RUN mamba install --yes x && mamba clean --all -f -y\n'),
    },
    {
      rule: 'no-separate-fix-permissions',
      passing: dockerfile(`RUN pip install --no-cache-dir x${FIX}\n`),
      failing: dockerfile('RUN fix-permissions "${CONDA_DIR}" && fix-permissions "/home/${NB_USER}"\n'),
    },
    {
      rule: 'last-user-notebook',
      passing: dockerfile('RUN true\n'),
      failing: `${HEAD}RUN true\nUSER \${NB_UID}\nRUN true\nUSER root\n`,
    },
    {
      rule: 'base-container-arg',
      passing: dockerfile(''),
      failing: 'FROM $BASE_CONTAINER\nUSER ${NB_UID}\n',
    },
    {
      rule: 'download-checksum',
      passing: dockerfile(
        'ARG X_SHA256=abc\nRUN curl -fsSL -o /tmp/x https://example.org/x && \\\n    echo "${X_SHA256}  /tmp/x" | sha256sum -c - && \\\n    install /tmp/x /usr/local/bin/x\n',
      ),
      failing: dockerfile('RUN wget -q -O /usr/local/bin/x https://example.org/x && chmod +x /usr/local/bin/x\n'),
    },
    {
      rule: 'no-secret-default',
      passing: dockerfile('ARG GITHUB_TOKEN\nARG MONKEY_VERSION=1\nENV NB_PREFIX=/\n'),
      failing: dockerfile('ARG JUPYTER_TOKEN=changeme\n'),
    },
    {
      rule: 'clean-package-cache',
      passing: dockerfile('RUN apt-get update --yes && apt-get install --yes x && \\\n    apt-get clean && rm -rf /var/lib/apt/lists/*\n'),
      failing: dockerfile('RUN apt-get update --yes && apt-get install --yes x\n'),
    },
    {
      rule: 'rebuild-date-arg',
      passing: dockerfile('RUN apt-get update --yes && apt-get install --yes x && \\\n    apt-get clean && rm -rf /var/lib/apt/lists/*\n'),
      failing: 'ARG BASE_CONTAINER\nFROM $BASE_CONTAINER\nUSER root\nRUN true\nARG IMAGE_REBUILD_DATE\nLABEL io.kubeflow-images.rebuild-date="${IMAGE_REBUILD_DATE}"\nUSER ${NB_UID}\n',
    },
    {
      rule: 'copy-source-exists',
      passing: dockerfile('COPY start.sh /usr/local/bin/\n'),
      failing: dockerfile('COPY missing.sh /usr/local/bin/\n'),
      options: { context: { files: ['start.sh'], ignored: [] } },
    },
  ];

  it.each(cases)('$rule: passes a compliant Dockerfile', ({ passing, options }) => {
    expect(lintDockerfile(passing, options).findings).toEqual([]);
  });

  it.each(cases)('$rule: reports a violation with file, line, id and fix', ({ rule, failing, options }) => {
    const { findings } = lintDockerfile(failing, options);
    const own = findings.filter((f) => !f.rule.startsWith('dockerfile-utils/'));
    expect(own.map((f) => f.rule)).toEqual([rule]);
    const line = formatFinding('images/x/Dockerfile', own[0]);
    expect(line).toMatch(new RegExp(`^images/x/Dockerfile:\\d+ ${rule} .+: .+$`));
  });
});

describe('lintDockerfile rule details', () => {
  it('points at the line of the offending instruction', () => {
    const [finding] = lintDockerfile(dockerfile('RUN true\nARG API_KEY=abc\n')).findings;
    expect(finding).toMatchObject({ rule: 'no-secret-default', line: 7 });
  });

  it('requires fix-permissions after the last install, not before it', () => {
    const text = dockerfile('RUN fix-permissions "${CONDA_DIR}" && fix-permissions "/home/${NB_USER}" && pip install --no-cache-dir x\n');
    expect(rulesOf(text)).toEqual(['fix-permissions-same-run']);
  });

  it('counts writes under the notebook paths as installs', () => {
    expect(rulesOf(dockerfile('RUN mkdir -p "/home/${NB_USER}/work"\n'))).toEqual(['fix-permissions-same-run']);
    expect(rulesOf(dockerfile('RUN mkdir -p "/home/${NB_USER}/work" && fix-permissions "/home/${NB_USER}"\n'))).toEqual([]);
    expect(rulesOf(dockerfile('RUN pip install --no-cache-dir x && fix-permissions "/home/${NB_USER}"\n'))).toEqual(['fix-permissions-same-run']);
    expect(rulesOf(dockerfile('RUN echo x > "${CONDA_DIR}/etc/x.conf"\n'))).toEqual(['fix-permissions-same-run']);
    expect(rulesOf(dockerfile('RUN jupyter labextension install x && npm cache clean --force' + FIX + '\n'))).toEqual([]);
  });

  it('accepts the numeric notebook user only, rejects a name (runAsNonRoot), root or a missing USER', () => {
    expect(rulesOf(`${HEAD}USER \${NB_UID}\n`)).toEqual([]);
    expect(rulesOf(`${HEAD}USER $NB_UID\n`)).toEqual([]);
    expect(rulesOf(`${HEAD}USER 1000\n`)).toEqual([]);
    expect(rulesOf(`${HEAD}USER \${NB_UID}:\${NB_GID}\n`)).toEqual([]);
    expect(rulesOf(`${HEAD}USER jovyan\n`)).toEqual(['last-user-notebook']);
    expect(rulesOf(`${HEAD}USER $NB_USER\n`)).toEqual(['last-user-notebook']);
    expect(rulesOf(`${HEAD}USER \${NB_USER}\n`)).toEqual(['last-user-notebook']);
    expect(rulesOf(`${HEAD}# lint-ignore last-user-notebook: the pods that run it set runAsUser\nUSER jovyan\n`)).toEqual([]);
    expect(rulesOf(`${HEAD}USER 0\n`)).toEqual(['last-user-notebook']);
    expect(rulesOf(`${HEAD}RUN true\n`)).toEqual(['last-user-notebook']);
  });

  it('rejects a FROM that does not take BASE_CONTAINER, and ARG declared after FROM', () => {
    expect(rulesOf('FROM ubuntu:24.04\nUSER 1000\n')).toEqual(['base-container-arg']);
    expect(rulesOf('FROM ${BASE_CONTAINER}\nARG BASE_CONTAINER\nUSER 1000\n')).toContain('base-container-arg');
  });

  it('checks the final stage, followed through stage names, and an empty Dockerfile', () => {
    const findingsOf = (text: string) => lintDockerfile(text).findings.filter((f) => f.rule === 'base-container-arg');
    expect(findingsOf('ARG BASE_CONTAINER\nFROM $BASE_CONTAINER AS build\nRUN true\nFROM build\nUSER jovyan\n')).toEqual([]);
    expect(findingsOf('ARG BASE_CONTAINER\nFROM $BASE_CONTAINER AS build\nFROM ubuntu:22.04\nUSER jovyan\n')).toMatchObject([
      { line: 3, message: 'the final stage builds FROM ubuntu:22.04, not $BASE_CONTAINER, so the same file cannot build both streams' },
    ]);
    expect(findingsOf('')).toMatchObject([{ line: 1, message: 'the Dockerfile has no FROM instruction (is it empty?)' }]);
  });

  it('can switch the BASE_CONTAINER rule off (gpu-upstream generated file)', () => {
    expect(rulesOf('FROM nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04\nUSER ${NB_UID}\n', { disabledRules: ['base-container-arg'] })).toEqual([]);
  });

  it('rejects a download piped into another program even when a checksum follows', () => {
    expect(rulesOf(dockerfile('RUN curl -fsSL https://example.org/x.tgz | tar -xz -C /opt && sha256sum -c sums\n'))).toEqual(['download-checksum']);
  });

  it('flags secret-like ENV with a value but not empty ones', () => {
    expect(rulesOf(dockerfile('ENV AWS_SECRET_ACCESS_KEY=abc\n'))).toEqual(['no-secret-default']);
    expect(rulesOf(dockerfile('ENV DB_PASSWORD=""\nARG HF_TOKEN=\n'))).toEqual([]);
  });

  it('requires each package manager to clean its own cache', () => {
    expect(rulesOf(dockerfile(`RUN mamba install --yes x && mamba clean --all -f -y${FIX}\n`))).toEqual([]);
    expect(rulesOf(dockerfile(`RUN pip install x${FIX}\n`))).toEqual(['clean-package-cache']);
    expect(rulesOf(dockerfile(`RUN pip install x && pip cache purge${FIX}\n`))).toEqual([]);
    expect(rulesOf(dockerfile(`RUN npm install -g x${FIX}\n`))).toEqual(['clean-package-cache']);
    expect(rulesOf(dockerfile(`RUN conda install -y x${FIX}\n`))).toEqual(['clean-package-cache']);
  });

  it('reports COPY sources excluded by .dockerignore or outside the context', () => {
    const context: BuildContextFiles = { files: ['conf/a.conf', 'b.sh'], ignored: ['README.md'] };
    expect(rulesOf(dockerfile('COPY conf /etc/conf\nCOPY *.sh /usr/local/bin/\nCOPY --from=builder /x /x\n'), { context })).toEqual([]);
    expect(lintDockerfile(dockerfile('COPY README.md /x\n'), { context }).findings[0].message).toContain('.dockerignore');
    expect(lintDockerfile(dockerfile('COPY ../other/x /x\n'), { context }).findings[0].message).toContain('outside the build context');
  });

  it("reports dockerfile-utils' standard diagnostics with their own ids", () => {
    expect(rulesOf(dockerfile('RUN echo a \\\n\n    && echo b\n'))).toEqual(['dockerfile-utils/EMPTY_CONTINUATION_LINE']);
    expect(rulesOf(dockerfile('EXPOSE 8888/xyz\n'))).toEqual(['dockerfile-utils/INVALID_PROTO']);
    expect(rulesOf(dockerfile('WORKDIR work\n'))).toEqual(['dockerfile-utils/WORKDIR_IS_NOT_ABSOLUTE']);
  });
});

describe('waivers', () => {
  const failing = dockerfile('ARG KEYRING_KEY=0123456789ABCDEF\n');

  it('accepts a waiver with a reason directly above the instruction and reports it', () => {
    const text = dockerfile('# lint-ignore no-secret-default: a public GPG key fingerprint, not a secret\nARG KEYRING_KEY=0123456789ABCDEF\n');
    const { findings, waived } = lintDockerfile(text);
    expect(findings).toEqual([]);
    expect(waived).toHaveLength(1);
    expect(formatWaived('Dockerfile', waived[0])).toBe(
      'Dockerfile:7 waived no-secret-default (a public GPG key fingerprint, not a secret; lint-ignore on line 6)',
    );
  });

  it('accepts a waiver above other comment lines of the same instruction', () => {
    const text = dockerfile('# lint-ignore no-secret-default: public fingerprint\n# The signing key of the vendor.\nARG KEYRING_KEY=0123456789ABCDEF\n');
    expect(lintDockerfile(text).findings).toEqual([]);
  });

  it('rejects a waiver without a reason, and does not apply it', () => {
    const text = dockerfile('# lint-ignore no-secret-default\nARG KEYRING_KEY=0123456789ABCDEF\n');
    const { findings, waived } = lintDockerfile(text);
    expect(findings.map((f) => f.rule)).toEqual(['lint-ignore-reason', 'no-secret-default']);
    expect(waived).toEqual([]);
    expect(rulesOf(dockerfile('# lint-ignore no-secret-default:   \nARG KEYRING_KEY=0123456789ABCDEF\n'))).toContain('lint-ignore-reason');
  });

  it('rejects waivers of unknown rules, waivers not above an instruction, and unused waivers', () => {
    expect(rulesOf(dockerfile('# lint-ignore no-such-rule: because\nRUN true\n'))).toEqual(['lint-ignore-unknown-rule']);
    expect(rulesOf(dockerfile('# lint-ignore no-secret-default: because\n\nARG KEYRING_KEY=0123456789ABCDEF\n'))).toEqual([
      'lint-ignore-misplaced',
      'no-secret-default',
    ]);
    expect(rulesOf(dockerfile('# lint-ignore download-checksum: because\nRUN true\n'))).toEqual(['lint-ignore-unused']);
  });

  it('waives only the named rule on the instruction below', () => {
    const text = dockerfile('# lint-ignore download-checksum: vendor publishes no checksum\nRUN curl -fsSL -o /tmp/x https://example.org/x && apt-get install -y x\n');
    expect(rulesOf(text)).toEqual(['clean-package-cache']);
    expect(rulesOf(failing)).toEqual(['no-secret-default']);
  });

  it('can waive a dockerfile-utils diagnostic by its id', () => {
    const text = dockerfile('# lint-ignore dockerfile-utils/EMPTY_CONTINUATION_LINE: kept for readability\nRUN echo a \\\n\n    && echo b\n');
    expect(lintDockerfile(text).findings).toEqual([]);
  });
});

describe('production Dockerfiles', () => {
  const imagesDir = join(__dirname, '../../../../../images');
  const images = readdirSync(imagesDir).filter((name) => existsSync(join(imagesDir, name, 'Dockerfile')));

  it('finds the production Dockerfiles', () => {
    expect(images.length).toBeGreaterThanOrEqual(5);
  });

  it.each(images)('images/%s/Dockerfile passes every rule', (image) => {
    const file = `images/${image}/Dockerfile`;
    const { findings } = lintDockerfile(readFileSync(join(imagesDir, image, 'Dockerfile'), 'utf8'), {
      context: readBuildContextFiles(join(imagesDir, image)),
    });
    expect(findings.map((f) => formatFinding(file, f))).toEqual([]);
  });
});
