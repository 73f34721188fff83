export interface BuildExecutorOptions {
  stream: 'cpu' | 'gpu';
  imageName?: string;
  dockerfile?: string;
  context?: string;
  registry?: string;
  push?: boolean;
  buildArgs?: Record<string, string>;
  cacheFrom?: string[];
  engine?: 'docker' | 'podman' | 'auto';
  plan?: boolean;
  generated?: boolean;
}
