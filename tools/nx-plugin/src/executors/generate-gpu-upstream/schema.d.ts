export interface GenerateGpuUpstreamExecutorOptions {
  outputPath?: string;
  workDir?: string;
}
