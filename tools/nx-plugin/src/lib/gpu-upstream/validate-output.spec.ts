import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPULIBS, HEADER, USEFUL_PACKAGES } from './testing/fixture-repos';
import { validateContextFiles, validateGeneratedDockerfile, type OutputExpectations } from './validate-output';

const expectations: OutputExpectations = {
  label: 'gpu-jupyter 0123456789ab with docker-stacks 3f40fd030303',
  gpulibsFragment: GPULIBS,
  gpulibsPath: 'custom/gpulibs.Dockerfile',
  usefulPackagesFragment: USEFUL_PACKAGES,
  usefulPackagesPath: 'custom/usefulpackages.Dockerfile',
};

const stacks = 'ARG ROOT_IMAGE=ubuntu:24.04\nUSER root\nCOPY fix-permissions /usr/local/bin/fix-permissions\n';
const gpulibsBanner = '\n####\n########## Dependency: gpulibs ##########\n####\n\n';
const good = `${HEADER('one')}${stacks}${gpulibsBanner}ARG JUPYTER_TOKEN\n`;

const check = (text: string) => () => validateGeneratedDockerfile(text, expectations);

describe('validateGeneratedDockerfile', () => {
  it('accepts one nvidia/cuda base with the gpulibs banner left empty', () => {
    expect(check(good)).not.toThrow();
    expect(check(good.replace('FROM nvidia/cuda', 'FROM --platform=linux/amd64 nvcr.io/nvidia/cuda'))).not.toThrow();
  });

  it('rejects a second FROM, naming the commit and both lines', () => {
    const text = `${good}FROM $ROOT_IMAGE\n`;
    expect(check(text)).toThrow(/gpu-jupyter 0123456789ab with docker-stacks 3f40fd030303.*2 FROM instructions \(line 2: FROM nvidia\/cuda.*; line \d+: FROM \$ROOT_IMAGE\).*exactly one final base/);
  });

  it('rejects a base that is not an nvidia/cuda image', () => {
    expect(check(good.replace('nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04', 'ubuntu:24.04'))).toThrow(
      /gpu-jupyter 0123456789ab.*starts FROM ubuntu:24\.04 \(line 2\), not an nvidia\/cuda image/,
    );
    expect(check(good.replace('nvidia/cuda:', 'mirror.example/nvidia/cuda:'))).toThrow(/not an nvidia\/cuda image/);
    expect(check(stacks)).toThrow(/has no FROM/);
  });

  it('rejects the GPU libraries however they got in, but not the header LABEL they share', () => {
    expect(check(`${good}${GPULIBS}`)).toThrow(/still has the GPU libraries of custom\/gpulibs\.Dockerfile \(line \d+: RUN pip install --no-cache-dir tensorflow/);
    // The same RUN split differently over lines is the same instruction.
    expect(check(`${good}RUN pip install --no-cache-dir torch==2.9.1 \\\n  --index-url https://download.pytorch.org/whl/cu128\n`)).toThrow(/GPU libraries/);
    // Commented-out lines inside the RUN are dropped, as the builder drops them.
    expect(check(`${good}RUN pip install --no-cache-dir \\\n#    jax \\\n  torch==2.9.1 --index-url https://download.pytorch.org/whl/cu128\n`)).toThrow(/GPU libraries/);
    expect(check(`${good}LABEL authors="fixture"\nUSER \${NB_UID}\n`)).not.toThrow();
  });

  it('rejects the useful packages, by banner or by content', () => {
    expect(check(`${good}\n  ####\n  ############ Useful packages ############\n  ####\n`)).toThrow(/"Useful packages" section although --no-useful-packages/);
    expect(check(`${good}${USEFUL_PACKAGES}`)).toThrow(/installs the useful packages of custom\/usefulpackages\.Dockerfile \(line \d+: RUN apt-get update/);
  });
});

describe('validateContextFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kf-context-'));
    mkdirSync(join(dir, 'setup-scripts'));
    writeFileSync(join(dir, 'fix-permissions'), '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('passes when every copied file is there and names the first missing one otherwise', () => {
    expect(() => validateContextFiles('COPY fix-permissions /x\nCOPY setup-scripts/ /y/\n', dir, 'L')).not.toThrow();
    // Sources that are not one context path (another stage, a URL, a variable, a wildcard) are not looked up.
    expect(() => validateContextFiles('COPY --from=builder /x /y\nADD https://example.org/x.tgz $HOME/a *.py /y/\n', dir, 'L')).not.toThrow();
    expect(() => validateContextFiles('COPY fix-permissions start.sh /x/\n', dir, 'L')).toThrow(
      /\(L\): the generated Dockerfile copies start\.sh \(line 1\) but the generator did not write it to \.build\//,
    );
  });
});
