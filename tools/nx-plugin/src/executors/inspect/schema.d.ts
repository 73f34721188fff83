export interface InspectExecutorOptions {
  stream: 'cpu' | 'gpu';
  /** schema.json's default (20) is applied by Nx. */
  maxWasteMiB: number;
}
