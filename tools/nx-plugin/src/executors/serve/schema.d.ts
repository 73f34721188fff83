export interface ServeExecutorOptions {
  stream: 'cpu' | 'gpu';
  port?: number;
  host?: string;
  nbPrefix?: string;
  runtime?: 'docker' | 'podman';
  startTimeout?: number;
  gpus?: string;
}
