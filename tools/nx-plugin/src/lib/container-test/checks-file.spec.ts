import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configurationErrorOf } from '../testing/configuration-error';
import { parseChecksFile, readChecksFile } from './checks-file';

const FILE = 'images/base/tests/checks.json';
const WORKSPACE = join(__dirname, '..', '..', '..', '..', '..');

describe('parseChecksFile', () => {
  it('reads the three lists and defaults missing ones to empty', () => {
    expect(parseChecksFile('{"pythonImports": ["osgeo.gdal"], "commands": ["gdalinfo --version"]}', FILE)).toEqual({
      pythonImports: ['osgeo.gdal'],
      rImports: [],
      commands: ['gdalinfo --version'],
    });
    expect(parseChecksFile('{}', FILE)).toEqual({ pythonImports: [], rImports: [], commands: [] });
  });

  it('accepts R package names with dots', () => {
    expect(parseChecksFile('{"rImports": ["data.table", "DBI", "c"]}', FILE).rImports).toEqual(['data.table', 'DBI', 'c']);
  });

  it.each([
    ['not JSON', '{"commands": [', /images\/base\/tests\/checks.json is not valid JSON/],
    ['a list at the top', '[]', /must hold one JSON object/],
    ['an unknown key (typo)', '{"pythonImport": ["x"]}', /unknown key\(s\) pythonImport: the keys are pythonImports, rImports, commands/],
    ['a string instead of a list', '{"commands": "true"}', /"commands" must be a list of strings/],
    ['an empty command', '{"commands": ["  "]}', /"commands"\[0\] must be a non-empty string/],
    ['a number', '{"rImports": [1]}', /"rImports"\[0\] must be a non-empty string/],
    ['code instead of a module', '{"pythonImports": ["os; import sys"]}', /"pythonImports"\[0\] "os; import sys" is not a Python module name/],
    ['an R name with a quote', '{"rImports": ["sf\\")"]}', /is not an R package name/],
  ])('rejects %s, naming the file and the key', (_, text, message) => {
    const error = configurationErrorOf(() => parseChecksFile(text, FILE));
    expect(error.message).toContain(FILE);
    expect(error.message).toMatch(message);
  });
});

describe('readChecksFile', () => {
  it('gives no checks for an image without a checks.json (gpu-upstream)', () => {
    expect(readChecksFile(WORKSPACE, 'images/does-not-exist')).toEqual({
      file: join('images/does-not-exist', 'tests', 'checks.json'),
      checks: { pythonImports: [], rImports: [], commands: [] },
    });
  });

  it('reads every production checks.json without error', () => {
    const images = readdirSync(join(WORKSPACE, 'images'));
    expect(images).toContain('base');
    for (const image of images) expect(() => readChecksFile(WORKSPACE, join('images', image))).not.toThrow();
    expect(readChecksFile(WORKSPACE, 'images/base').checks.pythonImports).toContain('kfp');
  });
});
