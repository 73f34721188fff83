import type { ExecutorContext } from '@nx/devkit';
import { recordHealer, targetOptions } from './record-healer';

function context(root: string, configurationName?: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'minimal',
    targetName: 'build-cpu',
    configurationName,
    projectsConfigurations: {
      version: 2,
      projects: {
        base: {
          root: 'images/base',
          targets: { 'build-cpu': { executor: 'x:build', options: { stream: 'cpu', push: true }, configurations: { plan: { plan: true } } } },
        },
      },
    },
  } as unknown as ExecutorContext;
}

describe('targetOptions', () => {
  it("gives the target's options, with its configuration's on top", () => {
    expect(targetOptions(context('/w'), 'base', 'build-cpu', undefined)).toEqual({ stream: 'cpu', push: true });
    expect(targetOptions(context('/w'), 'base', 'build-cpu', 'plan')).toEqual({ stream: 'cpu', push: true, plan: true });
  });

  it('is null for a target the project does not have', () => {
    expect(targetOptions(context('/w'), 'base', 'build-gpu', undefined)).toBeNull();
  });
});

describe('recordHealer', () => {
  it("runs the project's build with its options, as that project, under the current configuration", async () => {
    const runs: { options: unknown; project?: string; target?: string; configuration?: string }[] = [];
    const heal = recordHealer(context('/heal-1', 'plan'), async (options, ctx) => {
      runs.push({ options, project: ctx.projectName, target: ctx.targetName, configuration: ctx.configurationName });
      return { success: true };
    });
    await heal('base', 'cpu');
    expect(runs).toEqual([{ options: { stream: 'cpu', push: true, plan: true }, project: 'base', target: 'build-cpu', configuration: 'plan' }]);
  });

  it('fails with one line when the build could not write the record', async () => {
    const heal = recordHealer(context('/heal-2'), async () => ({ success: false }));
    await expect(heal('base', 'cpu')).rejects.toThrow(/^the build record of base \(cpu\) could not be re-derived \(the line above says why\)/);
  });

  it('refuses a project without the build target', async () => {
    const heal = recordHealer(context('/heal-3'), async () => ({ success: true }));
    await expect(heal('base', 'gpu')).rejects.toThrow('base has no build-gpu target to re-derive its build record from');
  });
});
