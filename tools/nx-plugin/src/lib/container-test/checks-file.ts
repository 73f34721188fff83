import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildConfigurationError } from '../errors';

/** Where an image declares what it promises: images/<project>/tests/checks.json. */
export const CHECKS_FILE = join('tests', 'checks.json');

/** What one image promises its users, as declared in its checks.json. */
export interface ImageChecks {
  /** Python modules that `python -c "import <module>"` must import. */
  pythonImports: string[];
  /** R packages that `Rscript -e 'library("<package>")'` must load. */
  rImports: string[];
  /** Shell commands (run with bash -c, or sh -c where bash is absent) that must exit 0. */
  commands: string[];
}

const KEYS: (keyof ImageChecks)[] = ['pythonImports', 'rImports', 'commands'];

/** A dotted Python module path (osgeo.gdal); anything else would be code, not a module name. */
const PYTHON_MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** R's rule for package names: letters, digits and dots, starting with a letter. */
const R_PACKAGE = /^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$|^[A-Za-z]$/;

export function emptyChecks(): ImageChecks {
  return { pythonImports: [], rImports: [], commands: [] };
}

/** Parses and validates one checks.json; every problem names the file, the key and the fix. */
export function parseChecksFile(text: string, file: string): ImageChecks {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BuildConfigurationError(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}): write {"pythonImports": [...], "rImports": [...], "commands": [...]}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new BuildConfigurationError(`${file} must hold one JSON object with the keys ${KEYS.join(', ')}`);
  }
  const unknown = Object.keys(data).filter((key) => !(KEYS as string[]).includes(key));
  if (unknown.length > 0) {
    throw new BuildConfigurationError(`${file}: unknown key(s) ${unknown.join(', ')}: the keys are ${KEYS.join(', ')}`);
  }
  const checks = emptyChecks();
  const record = data as Record<string, unknown>;
  for (const key of KEYS) {
    const value = record[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) throw new BuildConfigurationError(`${file}: "${key}" must be a list of strings`);
    value.forEach((item, index) => {
      if (typeof item !== 'string' || item.trim() === '') {
        throw new BuildConfigurationError(`${file}: "${key}"[${index}] must be a non-empty string`);
      }
      if (key === 'pythonImports' && !PYTHON_MODULE.test(item)) {
        throw new BuildConfigurationError(`${file}: "${key}"[${index}] "${item}" is not a Python module name: write it as for import (e.g. osgeo.gdal)`);
      }
      if (key === 'rImports' && !R_PACKAGE.test(item)) {
        throw new BuildConfigurationError(`${file}: "${key}"[${index}] "${item}" is not an R package name: write it as for library() (e.g. data.table)`);
      }
    });
    checks[key] = value as string[];
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
