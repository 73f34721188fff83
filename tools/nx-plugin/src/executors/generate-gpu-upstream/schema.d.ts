export interface GenerateGpuUpstreamExecutorOptions {
  // Nx fills this from schema.json's default before the executor runs.
  outputPath: string;
  workDir?: string;
}
