import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';
import { STREAMS, type Stream } from '../hierarchy/image-graph';

/** Where an image declares what it promises: images/<project>/tests/checks.json. */
export const CHECKS_FILE = join('tests', 'checks.json');

/** The lists of checks: the top of a checks.json, and each of its stream sections. */
export interface CheckLists {
  /** Python modules that `python -c "import <module>"` must import. */
  pythonImports: string[];
  /** R packages that `Rscript -e 'library("<package>")'` must load. */
  rImports: string[];
  /** Shell commands (run with bash -c, or sh -c where bash is absent) that must exit 0. */
  commands: string[];
}

/**
 * What one image promises its users, as declared in its checks.json: the
 * checks of every stream, plus, under "streams", what only one stream
 * promises (a gpu image's frameworks are built with CUDA; the cpu one's are not).
 */
export interface ImageChecks extends CheckLists {
  streams: Partial<Record<Stream, CheckLists>>;
}

const KEYS: (keyof CheckLists)[] = ['pythonImports', 'rImports', 'commands'];
const STREAMS_KEY = 'streams';
const SHAPE = `{"pythonImports": [...], "rImports": [...], "commands": [...], "${STREAMS_KEY}": {"gpu": {"commands": [...]}}}`;

/** A dotted Python module path (osgeo.gdal); anything else would be code, not a module name. */
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** R's rule for package names: letters, digits and dots, starting with a letter. */
const R_PACKAGE = /^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$|^[A-Za-z]$/;

function emptyLists(): CheckLists {
  return { pythonImports: [], rImports: [], commands: [] };
}

export function emptyChecks(): ImageChecks {
  return { ...emptyLists(), streams: {} };
}

/** The checks an image of `stream` must pass: those of every stream, then that stream's own. */
export function checksForStream(checks: ImageChecks, stream: Stream): CheckLists {
  const own = checks.streams[stream] ?? emptyLists();
  return {
    pythonImports: [...checks.pythonImports, ...own.pythonImports],
    rImports: [...checks.rImports, ...own.rImports],
    commands: [...checks.commands, ...own.commands],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One object of lists (the top level, or a stream section at `where`). */
function parseLists(data: Record<string, unknown>, file: string, where: string, allowed: string[]): CheckLists {
  const unknown = Object.keys(data).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new BuildConfigurationError(`${file}: unknown key(s) ${unknown.map((key) => where + key).join(', ')}: the keys are ${allowed.map((key) => where + key).join(', ')}`);
  }
  const lists = emptyLists();
  for (const key of KEYS) {
    const value = data[key];
    const name = where + key;
    if (value === undefined) continue;
    if (!Array.isArray(value)) throw new BuildConfigurationError(`${file}: "${name}" must be a list of strings`);
    value.forEach((item, index) => {
      if (typeof item !== 'string' || item.trim() === '') {
        throw new BuildConfigurationError(`${file}: "${name}"[${index}] must be a non-empty string`);
      }
      if (key === 'pythonImports' && !PYTHON_MODULE.test(item)) {
        throw new BuildConfigurationError(`${file}: "${name}"[${index}] "${item}" is not a Python module name: write it as for import (e.g. osgeo.gdal)`);
      }
      if (key === 'rImports' && !R_PACKAGE.test(item)) {
        throw new BuildConfigurationError(`${file}: "${name}"[${index}] "${item}" is not an R package name: write it as for library() (e.g. data.table)`);
      }
    });
    lists[key] = value as string[];
  }
  return lists;
}

/** Parses and validates one checks.json; every problem names the file, the key and the fix. */
export function parseChecksFile(text: string, file: string): ImageChecks {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BuildConfigurationError(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}): write ${SHAPE}`,
    );
  }
  if (!isObject(data)) {
    throw new BuildConfigurationError(`${file} must hold one JSON object with the keys ${[...KEYS, STREAMS_KEY].join(', ')}`);
  }
  const checks: ImageChecks = { ...parseLists(data, file, '', [...KEYS, STREAMS_KEY]), streams: {} };
  const sections = data[STREAMS_KEY];
  if (sections === undefined) return checks;
  if (!isObject(sections)) {
    throw new BuildConfigurationError(`${file}: "${STREAMS_KEY}" must be an object keyed by stream (${STREAMS.join(', ')}): ${SHAPE}`);
  }
  for (const [stream, section] of Object.entries(sections)) {
    if (!(STREAMS as string[]).includes(stream)) {
      throw new BuildConfigurationError(`${file}: "${STREAMS_KEY}.${stream}" is not a stream: the streams are ${STREAMS.join(', ')}`);
    }
    if (!isObject(section)) throw new BuildConfigurationError(`${file}: "${STREAMS_KEY}.${stream}" must be an object with the keys ${KEYS.join(', ')}`);
    checks.streams[stream as Stream] = parseLists(section, file, `${STREAMS_KEY}.${stream}.`, KEYS);
  }
  return checks;
}

/** The checks of the image at `projectRoot`; an image without a checks.json declares none. */
export function readChecksFile(workspaceRoot: string, projectRoot: string): { file: string; checks: ImageChecks } {
  const file = join(projectRoot, CHECKS_FILE);
  const path = join(workspaceRoot, file);
  if (!existsSync(path)) return { file, checks: emptyChecks() };
  return { file, checks: parseChecksFile(readFileSync(path, 'utf8'), file) };
}
