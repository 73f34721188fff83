export interface Package {
  name: string;
  version: string;
}

export const PACKAGE_MANAGERS = ['dpkg', 'conda', 'pip', 'r'] as const;
export type PackageManager = (typeof PACKAGE_MANAGERS)[number];
export type PackageLists = Record<PackageManager, Package[]>;

const MARKER = '### kf-packages ';

/**
 * The shell script run inside the image: one marked section per manager,
 * empty when the manager is absent. Every manager prints "name<TAB>version".
 */
export const PACKAGE_LISTING_SCRIPT = [
  `echo '${MARKER}dpkg'`,
  `if command -v dpkg-query >/dev/null 2>&1; then dpkg-query -W -f='\${Package}\\t\${Version}\\n' 2>/dev/null; fi`,
  `echo '${MARKER}conda'`,
  `if command -v conda >/dev/null 2>&1; then conda list 2>/dev/null | awk '!/^#/ && NF >= 2 { print $1 "\\t" $2 }'; fi`,
  `echo '${MARKER}pip'`,
  `for py in python3 python; do if command -v $py >/dev/null 2>&1 && $py -m pip --version >/dev/null 2>&1; then $py -m pip list --format=freeze --disable-pip-version-check 2>/dev/null | sed 's/==/\\t/'; break; fi; done`,
  `echo '${MARKER}r'`,
  `if command -v Rscript >/dev/null 2>&1; then Rscript -e 'ip <- installed.packages()[, c("Package", "Version"), drop = FALSE]; cat(paste(ip[, 1], ip[, 2], sep = "\\t"), sep = "\\n")' 2>/dev/null; fi`,
  'true',
].join('\n');

export function emptyPackageLists(): PackageLists {
  return { dpkg: [], conda: [], pip: [], r: [] };
}

/** Reads the script's output into sorted lists; lines outside a known section are ignored. */
export function parsePackageListing(output: string): PackageLists {
  const lists = emptyPackageLists();
  let current: Package[] | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith(MARKER)) {
      const manager = line.slice(MARKER.length).trim() as PackageManager;
      current = PACKAGE_MANAGERS.includes(manager) ? lists[manager] : null;
      continue;
    }
    const [name, version] = line.split('\t');
    if (current && name?.trim() && version !== undefined) current.push({ name: name.trim(), version: version.trim() });
  }
  for (const manager of PACKAGE_MANAGERS) {
    const unique = new Map(lists[manager].map((entry) => [entry.name, entry]));
    lists[manager] = [...unique.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  return lists;
}

export interface PackageChanges {
  added: Package[];
  removed: Package[];
  changed: Array<{ name: string; from: string; to: string }>;
}

export function diffPackages(before: Package[], after: Package[]): PackageChanges {
  const old = new Map(before.map((entry) => [entry.name, entry.version]));
  const now = new Map(after.map((entry) => [entry.name, entry.version]));
  return {
    added: after.filter((entry) => !old.has(entry.name)),
    removed: before.filter((entry) => !now.has(entry.name)),
    changed: after.filter((entry) => old.has(entry.name) && old.get(entry.name) !== entry.version).map((entry) => ({ name: entry.name, from: old.get(entry.name)!, to: entry.version })),
  };
}
