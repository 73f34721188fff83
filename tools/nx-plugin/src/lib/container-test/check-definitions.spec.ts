import { condaCheck, declaredCheck, execChecks, homeCheck, imageUserVerdict, outputTail, shellArgv, userCheck, type ExecOutcome } from './check-definitions';

const CTX = { project: 'machine-learning', dockerfile: 'images/machine-learning/Dockerfile', uid: 1000 };
const LIMIT = 60_000;

function outcome(code: number | null, output = '', timedOut = false): ExecOutcome {
  return { code, output, stdout: output, timedOut };
}

describe('userCheck', () => {
  const check = userCheck(CTX, LIMIT);

  it('passes for uid 1000', () => {
    expect(check.argv).toEqual(['id', '-u']);
    expect(check.judge(outcome(0, '1000\n'))).toBeNull();
  });

  it('calls root root, and points at the last USER of the Dockerfile', () => {
    expect(check.judge(outcome(0, '0\n'))).toEqual({
      detail: 'runs as root (uid 0)',
      fix: 'end images/machine-learning/Dockerfile with USER ${NB_UID} (jovyan, uid 1000)',
    });
    expect(check.judge(outcome(0, '1001'))!.detail).toBe('runs as uid 1001');
  });

  it('reads only stdout (a warning on stderr is not the uid)', () => {
    expect(check.judge({ code: 0, stdout: '1000\n', output: '1000\nwarning: x', timedOut: false })).toBeNull();
  });
});

describe('imageUserVerdict', () => {
  it.each(['1000', '1000\n', '1000:100'])('passes a numeric non-root User %j', (user) => {
    expect(imageUserVerdict(user, CTX)).toMatchObject({ id: 'image-user', ok: true });
    expect(imageUserVerdict(user, CTX).fix).toBeUndefined();
  });

  it.each([
    ['jovyan', 'User is "jovyan", a name Kubernetes cannot check against runAsNonRoot'],
    ['jovyan:users', 'User is "jovyan:users", a name Kubernetes cannot check against runAsNonRoot'],
    ['$NB_UID', 'User is "$NB_UID", a name Kubernetes cannot check against runAsNonRoot'],
    ['0', 'User is "0" (root)'],
    ['0:100', 'User is "0:100" (root)'],
    ['', 'User is empty, so the image runs as root'],
  ])('fails User %j: %s, pointing at the last USER', (user, detail) => {
    expect(imageUserVerdict(user, CTX)).toMatchObject({
      ok: false,
      detail,
      fix: 'end images/machine-learning/Dockerfile with USER ${NB_UID} (the number, uid 1000), not a user name',
    });
  });
});

describe('homeCheck and condaCheck', () => {
  it('write a scratch file as the user and remove it, failing with the shell message', () => {
    const home = homeCheck(CTX, LIMIT);
    expect(home.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(home.argv[2]).toContain('touch "$f" && rm -f "$f"');
    expect(home.judge(outcome(0))).toBeNull();
    expect(home.judge(outcome(1, "touch: /home/jovyan/.kf-image-test-7: Permission denied\n"))).toEqual({
      detail: 'exited 1: touch: /home/jovyan/.kf-image-test-7: Permission denied',
      fix: 'end each RUN of images/machine-learning/Dockerfile that writes under /home/$NB_USER with fix-permissions /home/$NB_USER, in the same RUN',
    });
  });

  it('checks $CONDA_DIR and its site-packages, and says when CONDA_DIR is missing', () => {
    const conda = condaCheck(CTX, LIMIT);
    expect(conda.argv[2]).toContain('"$CONDA_DIR"/lib/python3*/site-packages');
    expect(conda.judge(outcome(2, 'CONDA_DIR is not set'))!.detail).toBe('exited 2: CONDA_DIR is not set');
    expect(conda.judge(outcome(1, 'touch: x: Permission denied'))!.fix).toMatch(/fix-permissions \$CONDA_DIR, in the same RUN/);
  });

  it('reports a time limit', () => {
    expect(homeCheck(CTX, 5_000).judge(outcome(null, '', true))!.detail).toBe('timed out after 5s: no output');
  });
});

describe('declaredCheck', () => {
  it('imports a python module, loads an R package, runs a command through a shell', () => {
    const python = declaredCheck({ kind: 'python', subject: 'osgeo.gdal', declaredBy: 'geomatics', file: 'f' }, { ...CTX, project: 'geomatics' }, LIMIT);
    expect(python.argv).toEqual(['python', '-c', 'import osgeo.gdal']);
    expect(python.label).toBe('python import osgeo.gdal');
    const r = declaredCheck({ kind: 'r', subject: 'data.table', declaredBy: 'r-studio', file: 'f' }, CTX, LIMIT);
    expect(r.argv).toEqual(['Rscript', '-e', 'library("data.table")']);
    const command = declaredCheck({ kind: 'command', subject: 'gdalinfo --version | head -1', declaredBy: 'x', file: 'f' }, CTX, LIMIT);
    expect(command.argv).toEqual(shellArgv('gdalinfo --version | head -1'));
    expect(command.label).toBe('command "gdalinfo --version | head -1"');
  });

  it("points an image's own failing check at its Dockerfile and checks.json", () => {
    const check = declaredCheck(
      { kind: 'python', subject: 'torch', declaredBy: 'machine-learning', file: 'images/machine-learning/tests/checks.json' },
      CTX,
      LIMIT,
    );
    expect(check.judge(outcome(1, "Traceback...\nModuleNotFoundError: No module named 'torch'"))).toEqual({
      detail: "exited 1: Traceback... | ModuleNotFoundError: No module named 'torch'",
      fix: 'fix images/machine-learning/Dockerfile (install it with mamba/pip, then fix-permissions $CONDA_DIR in the same RUN), or change the check in images/machine-learning/tests/checks.json',
    });
  });

  it('says an inherited check comes from the ancestor and that the child likely broke it', () => {
    const check = declaredCheck({ kind: 'command', subject: 'odbcinst -j', declaredBy: 'base', file: 'images/base/tests/checks.json' }, CTX, LIMIT);
    expect(check.judge(outcome(127, 'sh: odbcinst: not found'))!.fix).toBe(
      'it is inherited from base: find what images/machine-learning/Dockerfile (or an image between) removed or broke so that it succeeds, or change the check in images/base/tests/checks.json',
    );
    expect(check.declaredBy).toBe('base');
  });
});

describe('execChecks', () => {
  it('runs the built-in checks first, then the declared ones in order', () => {
    const checks = execChecks([{ kind: 'command', subject: 'true', declaredBy: 'base', file: 'f' }], CTX, LIMIT);
    expect(checks.map((c) => c.id)).toEqual(['user', 'home-writable', 'conda-writable', 'command:true']);
  });
});

describe('outputTail', () => {
  it('keeps the last lines on one line, shortened', () => {
    expect(outputTail('a\n\nb\nc\n')).toBe('b | c');
    expect(outputTail('')).toBe('no output');
    expect(outputTail('x'.repeat(500)).length).toBe(241);
  });
});
