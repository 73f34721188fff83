import type { LintRule } from '../types';
import { baseContainerArg } from './base-container-arg';
import { cleanPackageCache } from './clean-package-cache';
import { copySourceExists } from './copy-source-exists';
import { downloadChecksum } from './download-checksum';
import { fixPermissionsSameRun } from './fix-permissions-same-run';
import { lastUserNotebook } from './last-user-notebook';
import { noSecretDefault } from './no-secret-default';
import { noSeparateFixPermissions } from './no-separate-fix-permissions';
import { rebuildDateArg } from './rebuild-date-arg';

/** The house rules for Dockerfiles, in the order the README lists them. */
export const HOUSE_RULES: readonly LintRule[] = [
  fixPermissionsSameRun,
  noSeparateFixPermissions,
  lastUserNotebook,
  baseContainerArg,
  downloadChecksum,
  noSecretDefault,
  cleanPackageCache,
  copySourceExists,
  rebuildDateArg,
];
