import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { logger, outputOfCurrentTask, runInTaskScope, taskProcessEnv, writeOutput } from './logger';

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
          writeOutput(`${name}: engine chunk\n`, 'stdout');
          await tick();
          logger.error(`${name}: failed`);
          return name;
        });
      const [base, minimal] = await Promise.all([task('base'), task('minimal')]);
      expect(base).toEqual({ result: 'base', output: 'base: start\nbase: engine chunk\nbase: failed\n' });
      expect(minimal).toEqual({ result: 'minimal', output: 'minimal: start\nminimal: engine chunk\nminimal: failed\n' });
      expect(printed).not.toHaveBeenCalled();
      expect(printedErrors).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      printedErrors.mockRestore();
    }
  });

  it('gives a process started by one task for the next (a spare) the output of the task that uses it', async () => {
    let spare: ChildProcessWithoutNullStreams | undefined;
    const first = await runInTaskScope({}, async () => {
      spare = spawn(process.execPath, ['-e', 'process.stdin.on("end", () => console.log("engine line")).resume()']);
    });
    const second = await runInTaskScope({}, async () => {
      const child = spare as ChildProcessWithoutNullStreams;
      const write = outputOfCurrentTask();
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => write(chunk, 'stdout'));
      child.stdin.end();
      await new Promise((resolve) => child.on('close', resolve));
    });
    expect(first.output).toBe('');
    expect(second.output).toBe('engine line\n');
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
