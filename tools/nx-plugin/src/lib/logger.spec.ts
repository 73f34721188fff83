import { announce, engineOutput, logger, runInTaskScope, stamped, taskProcessEnv, writeOutput } from './logger';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('task scopes (several tasks in one batch process)', () => {
  it("keeps each task's lines apart while the tasks run at once, and prints none of them", async () => {
    const printed = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const printedErrors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const task = (name: string) =>
        runInTaskScope({ NX_TASK_TARGET_PROJECT: name }, async () => {
          logger.info(`${name}: start`);
          await tick();
          writeOutput(`${name}: second line\n`, 'stdout');
          await tick();
          logger.error(`${name}: failed`);
          return name;
        });
      const [base, minimal] = await Promise.all([task('base'), task('minimal')]);
      expect(base).toEqual({ result: 'base', output: 'base: start\nbase: second line\nbase: failed\n' });
      expect(minimal).toEqual({ result: 'minimal', output: 'minimal: start\nminimal: second line\nminimal: failed\n' });
      expect(printed).not.toHaveBeenCalled();
      expect(printedErrors).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      printedErrors.mockRestore();
    }
  });

  it("prints a batch task's engine output live, line by line with the task's name, and keeps it out of the task's own output", async () => {
    const printed = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const { output } = await runInTaskScope({}, async () => {
        const engine = engineOutput('minimal:build-cpu');
        engine.write('STEP 1/3: FROM base\nSTEP 2/3: RU', 'stdout');
        expect(printed.mock.calls.map((call) => call[0])).toEqual(['minimal:build-cpu | STEP 1/3: FROM base\n']);
        engine.write('N make\n', 'stdout');
        engine.write('COMMIT', 'stdout');
        engine.end();
        logger.info('record: minimal');
      });
      expect(printed.mock.calls.map((call) => call[0]).join('')).toBe('minimal:build-cpu | STEP 1/3: FROM base\nminimal:build-cpu | STEP 2/3: RUN make\nminimal:build-cpu | COMMIT\n');
      expect(output).toBe('record: minimal\n');
    } finally {
      printed.mockRestore();
    }
  });

  it("announces a batch task's line live with the task's name, and keeps it in the task's own output for Nx to cache", async () => {
    const printed = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const { output } = await runInTaskScope({}, async () => announce('minimal:build-cpu', '[plan] minimal-notebook-cpu:content-1 FROM base'));
      expect(printed.mock.calls.map((call) => call[0])).toEqual(['minimal:build-cpu | [plan] minimal-notebook-cpu:content-1 FROM base\n']);
      expect(output).toBe('[plan] minimal-notebook-cpu:content-1 FROM base\n');
    } finally {
      printed.mockRestore();
    }
  });

  it('announces once, unprefixed, when the task has its process to itself', () => {
    const printed = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      announce('base:build-cpu', 'warning: x', 'stderr');
      expect(printed.mock.calls.map((call) => call[0])).toEqual(['warning: x\n']);
    } finally {
      printed.mockRestore();
    }
  });

  it('passes engine output through unchanged when the task has its process to itself', () => {
    const printed = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const engine = engineOutput('base:build-cpu');
      engine.write('Error: step fa', 'stderr');
      engine.write('iled\n', 'stderr');
      engine.end();
      expect(printed.mock.calls.map((call) => call[0])).toEqual(['Error: step fa', 'iled\n']);
    } finally {
      printed.mockRestore();
    }
  });

  it("gives a task's child processes its Nx variables, and leaves the process's own alone", async () => {
    const { result } = await runInTaskScope({ NX_TASK_TARGET_PROJECT: 'geomatics' }, async () => taskProcessEnv());
    expect(result.NX_TASK_TARGET_PROJECT).toBe('geomatics');
    expect(result.PATH).toBe(process.env.PATH);
    expect(taskProcessEnv()).toBe(process.env);
  });

  it('writes straight to the stream outside a task scope (one task per process)', () => {
    const printed = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      logger.warn('warning: x');
      expect(printed).toHaveBeenCalledWith('warning: x\n');
    } finally {
      printed.mockRestore();
    }
  });
});

describe('stamped', () => {
  it('says when a line was written, so a replay of it is not taken for now', () => {
    expect(stamped('x was in podman\'s storage: not rebuilt', new Date('2026-12-05T22:40:12.345Z'))).toBe("[22:40:12 UTC] x was in podman's storage: not rebuilt");
  });
});
