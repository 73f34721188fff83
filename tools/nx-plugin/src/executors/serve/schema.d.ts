export interface ServeExecutorOptions {
  stream: 'cpu' | 'gpu';
  // Nx fills these from schema.json's defaults before the executor runs.
  port: number;
  host: string;
  nbPrefix?: string;
  runtime?: 'docker' | 'podman';
  startTimeout: number;
  gpus?: string;
}
