import { configurationErrorOf } from '../testing/configuration-error';
import { checkRequestedConfiguration, isNxCommand, requestedConfiguration, workspaceConfigurations } from './requested-configuration';

const NX = ['/usr/bin/node', '/work/node_modules/.bin/nx'];

describe('requestedConfiguration', () => {
  it.each<[string[], string | undefined]>([
    [['run', 'geomatics:build-cpu', '-c', 'plna'], 'plna'],
    [['run-many', '-t', 'build-cpu', '--configuration=plan'], 'plan'],
    [['run-many', '-t', 'build-cpu', '-c=plan'], 'plan'],
    [['run', 'geomatics:build-cpu:plna'], 'plna'],
    [['run', 'geomatics:build-cpu', '--skip-nx-cache'], undefined],
    [['run', 'geomatics:build-cpu', '--', '-c', 'x'], undefined],
    [['affected', '-t', 'build-cpu', '--configuration', 'plan'], 'plan'],
  ])('reads %j', (args, expected) => {
    expect(requestedConfiguration([...NX, ...args])).toBe(expected);
  });
});

describe('isNxCommand', () => {
  it.each<[string[], boolean]>([
    [[...NX, 'run', 'base:lint'], true],
    [['/usr/bin/node', '/work/node_modules/nx/bin/nx.js', 'run-many'], true],
    [['nx', 'show', 'projects'], true],
    // A test runner's own `-c` must not be read as an Nx configuration.
    [['/usr/bin/node', '/work/node_modules/.bin/jest', '-c', 'jest.unit.config.js'], false],
    [[], false],
  ])('%j: %s', (args, expected) => {
    expect(isNxCommand(args)).toBe(expected);
  });
});

describe('checkRequestedConfiguration', () => {
  const context = {
    projectsConfigurations: {
      version: 2,
      projects: {
        base: { root: 'images/base', targets: { 'build-cpu': { configurations: { plan: {} } }, 'test-cpu': {} } },
        tools: { root: 'tools', targets: { build: { configurations: { production: {}, plan: {} } } } },
      },
    },
  };

  it('lists the configurations the workspace defines', () => {
    expect(workspaceConfigurations(context)).toEqual(['plan', 'production']);
  });

  it('accepts no configuration and one some target defines', () => {
    expect(() => checkRequestedConfiguration(undefined, ['plan'])).not.toThrow();
    expect(() => checkRequestedConfiguration('plan', ['plan'])).not.toThrow();
  });

  it('refuses a name no target defines, with the likely name and the fix', () => {
    expect(configurationErrorOf(() => checkRequestedConfiguration('plna', ['plan'])).message).toBe(
      '-c plna: no target of this workspace has a configuration "plna" (did you mean plan?), and Nx would run without one: use -c plan, or leave -c out',
    );
  });
});
