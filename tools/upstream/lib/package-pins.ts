import { parseDockerfile } from '@kubeflow-images/plugin-lib/dockerfile/parse-dockerfile';

/** A package version our Dockerfiles ask for: `name==version` (pip), `name=version` (conda, mamba, apt). */
export interface PackagePin {
  name: string;
  version: string;
  /** The Dockerfile that pins it. */
  file: string;
}

const PIN = /(?:^|[\s"'])([A-Za-z0-9][A-Za-z0-9._+-]*)(?:==|=)([0-9][^\s"'\\;&|,<>=]*)/g;

/** Values of the Dockerfile's ARG defaults, so `pyodbc=${PYODBC_VERSION}` reads as the version it installs. */
function argDefaults(instructions: ReturnType<typeof parseDockerfile>['instructions']): Map<string, string> {
  const defaults = new Map<string, string>();
  for (const instruction of instructions) {
    if (instruction.keyword !== 'ARG') continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=["']?([^"'\s]*)["']?$/.exec(instruction.args.trim());
    if (match) defaults.set(match[1], match[2]);
  }
  return defaults;
}

/** Every package version the RUN steps of the given Dockerfiles (path → text) pin. */
export function packagePins(dockerfiles: Record<string, string>): PackagePin[] {
  const pins: PackagePin[] = [];
  for (const [file, text] of Object.entries(dockerfiles)) {
    const { instructions } = parseDockerfile(text);
    const defaults = argDefaults(instructions);
    for (const run of instructions.filter((i) => i.keyword === 'RUN')) {
      const expanded = run.args.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (whole, name: string) => defaults.get(name) ?? whole);
      for (const [, name, version] of expanded.matchAll(PIN)) pins.push({ name: name.toLowerCase(), version, file });
    }
  }
  return pins;
}

const admits = (pin: string, version: string) => version === pin || version.startsWith(`${pin}.`) || version.startsWith(`${pin}-`);

/**
 * The pin that holds a package at a vulnerable version: it admits the
 * installed version but none of the fixed ones, so a rebuild cannot pick up
 * the fix and the pin itself must move.
 */
export function holdingPin(pins: PackagePin[], pkg: string, installed: string, fixed: string): PackagePin | null {
  const fixes = fixed.split(',').map((version) => version.trim()).filter(Boolean);
  const name = pkg.toLowerCase();
  return pins.find((pin) => pin.name === name && admits(pin.version, installed) && !fixes.some((fix) => admits(pin.version, fix))) ?? null;
}
