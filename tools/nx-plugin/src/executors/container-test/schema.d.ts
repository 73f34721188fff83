export interface ContainerTestExecutorOptions {
  stream: 'cpu' | 'gpu';
  runtime?: 'docker' | 'podman';
  nbPrefix?: string;
  host?: string;
  uid?: number;
  startTimeout?: number;
  checkTimeout?: number;
  gpus?: string;
}
