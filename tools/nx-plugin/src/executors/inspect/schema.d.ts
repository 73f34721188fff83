export interface InspectExecutorOptions {
  stream: 'cpu' | 'gpu';
  maxWasteMiB?: number;
}
