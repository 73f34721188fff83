import { BuildConfigurationError } from '../errors';
import { UnreadableRecordError } from './build-record';
import { sharedHealer, withHealedRecords } from './heal-records';

describe('withHealedRecords', () => {
  it('heals the record the attempt stopped at, says so, and tries again', async () => {
    const lines: string[] = [];
    const healed: string[] = [];
    let broken = true;
    const result = await withHealedRecords(
      () => {
        if (broken) throw new UnreadableRecordError('minimal', 'cpu', 'dist/images/minimal/cpu.json is not valid JSON');
        return 'planned';
      },
      async (project, stream) => {
        healed.push(`${project}:${stream}`);
        broken = false;
      },
      (line) => lines.push(line),
    );
    expect(result).toBe('planned');
    expect(healed).toEqual(['minimal:cpu']);
    expect(lines).toEqual([
      "build record of minimal (cpu) dist/images/minimal/cpu.json is not valid JSON: re-deriving it from minimal's plan and its image",
    ]);
  });

  it('heals each record of a chain once, parents found one after the other', async () => {
    const broken = new Set(['minimal', 'base']);
    const healed: string[] = [];
    await withHealedRecords(
      () => {
        const [first] = broken;
        if (first) throw new UnreadableRecordError(first, 'gpu', 'is missing');
      },
      async (project) => {
        healed.push(project);
        broken.delete(project);
      },
      () => undefined,
    );
    expect(healed).toEqual(['minimal', 'base']);
  });

  it("ends in the record's own error when the heal left it unreadable, instead of looping", async () => {
    const error = new UnreadableRecordError('base', 'cpu', 'is missing');
    let heals = 0;
    await expect(
      withHealedRecords(
        () => {
          throw error;
        },
        async () => void heals++,
        () => undefined,
      ),
    ).rejects.toBe(error);
    expect(heals).toBe(1);
  });

  it('lets any other error through without healing', async () => {
    const error = new BuildConfigurationError('images/base/Dockerfile: no FROM');
    const heal = jest.fn();
    await expect(withHealedRecords(() => Promise.reject(error), heal, () => undefined)).rejects.toBe(error);
    expect(heal).not.toHaveBeenCalled();
  });

  it('passes on why a heal failed', async () => {
    const failure = new BuildConfigurationError('base: the registry is unreachable');
    await expect(
      withHealedRecords(
        () => {
          throw new UnreadableRecordError('base', 'cpu', 'is missing');
        },
        () => Promise.reject(failure),
        () => undefined,
      ),
    ).rejects.toBe(failure);
  });
});

describe('sharedHealer', () => {
  it('runs one heal for callers that ask for the same record at once, and a new one afterwards', async () => {
    let runs = 0;
    let release!: () => void;
    const heal = sharedHealer(() => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    const first = heal('minimal', 'cpu');
    const second = heal('minimal', 'cpu');
    expect(runs).toBe(1);
    release();
    await Promise.all([first, second]);
    const third = heal('minimal', 'cpu');
    expect(runs).toBe(2);
    release();
    await third;
  });

  it('keeps records of other projects and streams apart', async () => {
    const asked: string[] = [];
    const heal = sharedHealer(async (project, stream) => void asked.push(`${project}:${stream}`));
    await Promise.all([heal('minimal', 'cpu'), heal('minimal', 'gpu'), heal('base', 'cpu')]);
    expect(asked).toEqual(['minimal:cpu', 'minimal:gpu', 'base:cpu']);
  });
});
