export interface ContainerTestExecutorOptions {
  stream: 'cpu' | 'gpu';
  runtime?: 'docker' | 'podman';
  nbPrefix?: string;
  // Nx fills these from schema.json's defaults before the executor runs.
  host: string;
  uid: number;
  startTimeout: number;
  checkTimeout: number;
  gpus?: string;
}
