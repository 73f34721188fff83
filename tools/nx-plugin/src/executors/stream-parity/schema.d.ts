export interface StreamParityExecutorOptions {
  // Nx fills this from schema.json's default before the executor runs.
  context: string;
  readRegistry?: boolean;
  registryTimeoutMs?: number;
}
