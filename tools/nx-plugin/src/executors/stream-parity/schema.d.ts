export interface StreamParityExecutorOptions {
  context?: string;
  readRegistry?: boolean;
  registryTimeoutMs?: number;
}
