import { withoutOwnerArgWarning } from '../engine/engine-output';
import { formatOwner, isLeftover, sameProcess, ownerAlive, ownerOfScratch, parseOwner, processStart, scratchName, thisProcessOwner, workspaceId } from './ownership';
import { ownerOfBuildState } from './working-containers';

const WS = workspaceId('/work/clone-a');
const owner = { workspace: WS, pid: 4242, start: '123456' };

describe('build ownership', () => {
  it('names a workspace by its path, so two clones differ and one clone is itself', () => {
    expect(WS).toMatch(/^[0-9a-f]{16}$/);
    expect(workspaceId('/work/clone-a/')).toBe(WS);
    expect(workspaceId('/work/clone-b')).not.toBe(WS);
  });

  it('writes an owner and reads it back, from a build arg and from a temp folder name', () => {
    expect(parseOwner(formatOwner(owner))).toEqual(owner);
    expect(parseOwner(formatOwner({ ...owner, build: 3 }))).toEqual({ ...owner, build: 3 });
    // The temp folder is the process's, whichever build asks.
    expect(ownerOfScratch(scratchName({ ...owner, build: 3 }))).toEqual(owner);
    expect(ownerOfScratch(scratchName(owner))).toEqual(owner);
    expect(ownerOfScratch('buildah1234')).toBeNull();
    expect(parseOwner('someone else')).toBeNull();
    expect(parseOwner(undefined)).toBeNull();
  });

  it('knows this process is alive and a process with its pid but another start time is not', () => {
    const me = thisProcessOwner('/work/clone-a');
    expect(me.pid).toBe(process.pid);
    expect(me.start).toBe(processStart(process.pid));
    expect(ownerAlive(me)).toBe(true);
    expect(ownerAlive({ ...me, start: `${me.start}0` })).toBe(false);
    expect(ownerAlive({ ...me, pid: 2 ** 22 + 1 })).toBe(false);
  });

  it('tells the builds of one process from another process', () => {
    expect(sameProcess({ ...owner, build: 1 }, { ...owner, build: 2 })).toBe(true);
    expect(sameProcess(owner, { ...owner, pid: 1 })).toBe(false);
  });

  it('takes for a leftover only what this workspace made in a process that no longer runs', () => {
    const dead = () => false;
    const running = () => true;
    expect(isLeftover(owner, WS, dead)).toBe(true);
    expect(isLeftover(owner, WS, running)).toBe(false);
    expect(isLeftover(owner, workspaceId('/work/clone-b'), dead)).toBe(false);
    expect(isLeftover(null, WS, dead)).toBe(false);
  });

  it("reads the owner from a working container's build state, and none from a build that is not ours", () => {
    expect(ownerOfBuildState(JSON.stringify({ type: 'buildah 0.0.1', Args: { KUBEFLOW_IMAGES_BUILD_OWNER: formatOwner(owner), OTHER: 'x' } }))).toEqual(owner);
    expect(ownerOfBuildState(JSON.stringify({ type: 'buildah 0.0.1', Args: {} }))).toBeNull();
    expect(ownerOfBuildState('{')).toBeNull();
  });
});

describe('withoutOwnerArgWarning', () => {
  it("drops podman's warning when the owner arg is all it names, keeps it for the user's own args", () => {
    expect(withoutOwnerArgWarning('STEP 1/2: FROM x\n[Warning] one or more build args were not consumed: [KUBEFLOW_IMAGES_BUILD_OWNER]\nCOMMIT\n')).toBe('STEP 1/2: FROM x\nCOMMIT\n');
    expect(withoutOwnerArgWarning('[Warning] one or more build args were not consumed: [KUBEFLOW_IMAGES_BUILD_OWNER TYPO_ARG]\n')).toBe(
      '[Warning] one or more build args were not consumed: [TYPO_ARG]\n',
    );
    expect(withoutOwnerArgWarning('nothing to see\n')).toBe('nothing to see\n');
  });
});
