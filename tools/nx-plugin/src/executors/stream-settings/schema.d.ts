export interface StreamSettingsExecutorOptions {
  stream: 'cpu' | 'gpu';
}
