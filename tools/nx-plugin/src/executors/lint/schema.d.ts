export interface LintExecutorOptions {
  dockerfile?: string;
  context?: string;
  disabledRules?: string[];
  allowMissing?: boolean;
  missingHint?: string;
}
