import { createTempWorkspace, expectNxSuccess, type TempWorkspace } from './support/temp-workspace';

/** `nx affected` on real commits of a real git repository holding this workspace. */
describe('nx affected on real git history', () => {
  let workspace: TempWorkspace;

  beforeAll(() => {
    workspace = createTempWorkspace('kf-affected-');
  }, 120_000);
  afterAll(() => workspace?.remove());

  function affected(target: string): string[] {
    const result = workspace.nx(['show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--withTarget', target, '--json']);
    expectNxSuccess(result);
    return (JSON.parse(result.stdout) as string[]).sort();
  }

  it('a change to minimal/Dockerfile affects minimal and the images below it, not base', () => {
    workspace.write('images/minimal/Dockerfile', `${require('node:fs').readFileSync(`${workspace.root}/images/minimal/Dockerfile`, 'utf8')}\n# a change\n`);
    workspace.commit('change minimal');
    expect(affected('build-cpu')).toEqual(['geomatics', 'machine-learning', 'minimal', 'r-studio']);
    expect(affected('build-gpu')).toEqual(['machine-learning', 'minimal']);
  }, 120_000);

  it('a change to build_settings.env affects every image', () => {
    workspace.write('build_settings.env', `${require('node:fs').readFileSync(`${workspace.root}/build_settings.env`, 'utf8')}\n# a change\n`);
    workspace.commit('change settings');
    expect(affected('build-cpu')).toEqual(['base', 'geomatics', 'machine-learning', 'minimal', 'r-studio']);
    expect(affected('build-gpu')).toEqual(['base', 'gpu-upstream', 'machine-learning', 'minimal']);
  }, 120_000);

  it('a change to the top-level README affects no image', () => {
    workspace.write('README.md', 'changed\n');
    workspace.commit('change readme');
    expect(affected('build-cpu')).toEqual([]);
    expect(affected('build-gpu')).toEqual([]);
  }, 120_000);
});
