import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationErrorOf } from '../testing/configuration-error';
import { checksForStream, parseChecksFile, readChecksFile } from './checks-file';

const FILE = 'images/base/tests/checks.json';
const WORKSPACE = join(__dirname, '..', '..', '..', '..', '..');

describe('parseChecksFile', () => {
  it('reads the three lists and defaults missing ones to empty', () => {
    expect(parseChecksFile('{"pythonImports": ["osgeo.gdal"], "commands": ["gdalinfo --version"]}', FILE)).toEqual({
      pythonImports: ['osgeo.gdal'],
      rImports: [],
      commands: ['gdalinfo --version'],
      streams: {},
    });
    expect(parseChecksFile('{}', FILE)).toEqual({ pythonImports: [], rImports: [], commands: [], streams: {} });
  });

  it('reads per-stream sections; a stream is checked for its section on top of the common lists', () => {
    const checks = parseChecksFile(
      '{"pythonImports": ["torch"], "streams": {"gpu": {"commands": ["python -c \'import torch; assert torch.version.cuda\'"]}, "cpu": {}}}',
      FILE,
    );
    expect(checks.streams).toEqual({
      gpu: { pythonImports: [], rImports: [], commands: ["python -c 'import torch; assert torch.version.cuda'"] },
      cpu: { pythonImports: [], rImports: [], commands: [] },
    });
    expect(checksForStream(checks, 'gpu')).toEqual({ pythonImports: ['torch'], rImports: [], commands: ["python -c 'import torch; assert torch.version.cuda'"] });
    expect(checksForStream(checks, 'cpu')).toEqual({ pythonImports: ['torch'], rImports: [], commands: [] });
    expect(checksForStream(parseChecksFile('{"commands": ["true"]}', FILE), 'gpu')).toEqual({ pythonImports: [], rImports: [], commands: ['true'] });
  });

  it('accepts R package names with dots', () => {
    expect(parseChecksFile('{"rImports": ["data.table", "DBI", "c"]}', FILE).rImports).toEqual(['data.table', 'DBI', 'c']);
  });

  it.each([
    ['not JSON', '{"commands": [', /images\/base\/tests\/checks.json is not valid JSON/],
    ['a list at the top', '[]', /must hold one JSON object/],
    ['an unknown key (typo)', '{"pythonImport": ["x"]}', /unknown key\(s\) pythonImport: the keys are pythonImports, rImports, commands, streams/],
    ['a string instead of a list', '{"commands": "true"}', /"commands" must be a list of strings/],
    ['an empty command', '{"commands": ["  "]}', /"commands"\[0\] must be a non-empty string/],
    ['a number', '{"rImports": [1]}', /"rImports"\[0\] must be a non-empty string/],
    ['code instead of a module', '{"pythonImports": ["os; import sys"]}', /"pythonImports"\[0\] "os; import sys" is not a Python module name/],
    ['an R name with a quote', '{"rImports": ["sf\\")"]}', /is not an R package name/],
    ['streams as a list', '{"streams": []}', /"streams" must be an object keyed by stream \(cpu, gpu\)/],
    ['an unknown stream', '{"streams": {"cuda": {}}}', /"streams.cuda" is not a stream: the streams are cpu, gpu/],
    ['a stream section that is not an object', '{"streams": {"gpu": ["x"]}}', /"streams.gpu" must be an object with the keys pythonImports, rImports, commands/],
    ['a typo in a stream section', '{"streams": {"gpu": {"command": []}}}', /unknown key\(s\) streams.gpu.command: the keys are streams.gpu.pythonImports, streams.gpu.rImports, streams.gpu.commands/],
    ['nested streams', '{"streams": {"gpu": {"streams": {}}}}', /unknown key\(s\) streams.gpu.streams/],
    ['a bad item in a stream section', '{"streams": {"gpu": {"pythonImports": ["a b"]}}}', /"streams.gpu.pythonImports"\[0\] "a b" is not a Python module name/],
  ])('rejects %s, naming the file and the key', (_, text, message) => {
    const error = configurationErrorOf(() => parseChecksFile(text, FILE));
    expect(error.message).toContain(FILE);
    expect(error.message).toMatch(message);
  });
});

describe('readChecksFile', () => {
  it('gives no checks for an image without a checks.json', () => {
    expect(readChecksFile(WORKSPACE, 'images/does-not-exist')).toEqual({
      file: join('images/does-not-exist', 'tests', 'checks.json'),
      checks: { pythonImports: [], rImports: [], commands: [], streams: {} },
    });
  });

  it('reads every production checks.json without error', () => {
    const images = readdirSync(join(WORKSPACE, 'images'));
    expect(images).toContain('base');
    for (const image of images) expect(() => readChecksFile(WORKSPACE, join('images', image))).not.toThrow();
    expect(readChecksFile(WORKSPACE, 'images/base').checks.pythonImports).toContain('kfp');
  });

  it('finds checks for every stream of every image that publishes one, generated upstreams included', () => {
    // An image project names the image it publishes in its project.json metadata; a pinned upstream publishes none.
    const publishing = readdirSync(join(WORKSPACE, 'images')).flatMap((image) => {
      const project = JSON.parse(readFileSync(join(WORKSPACE, 'images', image, 'project.json'), 'utf8'));
      return project.metadata?.imageName ? [{ root: join('images', image), streams: project.metadata.streams as ('cpu' | 'gpu')[] }] : [];
    });
    expect(publishing.map((image) => image.root)).toContain(join('images', 'gpu-upstream'));
    for (const { root, streams } of publishing) {
      for (const stream of streams) {
        const lists = checksForStream(readChecksFile(WORKSPACE, root).checks, stream);
        expect(`${root} ${stream}: ${lists.pythonImports.length + lists.rImports.length + lists.commands.length > 0}`).toBe(`${root} ${stream}: true`);
      }
    }
  });

  it("declares what the gpu root promises without a device: CUDA 12's runtime, no second copy of the wheels' CUDA libraries, the notebook user and paths", () => {
    const { commands } = checksForStream(readChecksFile(WORKSPACE, 'images/gpu-upstream').checks, 'gpu');
    const declaring = (...needles: string[]) => commands.filter((command) => needles.every((needle) => command.includes(needle)));
    expect(declaring('libcudart.so.12', 'cudaRuntimeGetVersion', 'CUDA_VERSION', '/usr/local/cuda')).toHaveLength(1);
    expect(declaring('ldconfig', '"libcudnn"', '"libcublas"', 'assert not carried')).toHaveLength(1);
    expect(declaring('id -un)" = jovyan', '"$HOME" = /home/jovyan')).toHaveLength(1);
    expect(declaring('"$CONDA_DIR/bin/python"', '"$CONDA_DIR/bin/jupyter"')).toHaveLength(1);
    // No check may need a device: nothing asks the driver (libcuda, nvidia-smi) or a framework for a GPU.
    expect(commands.filter((command) => /libcuda\.so|nvidia-smi|cudaGetDeviceCount|is_available|list_physical_devices/.test(command))).toEqual([]);
  });
});
