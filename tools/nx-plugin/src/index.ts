export { default as buildExecutor } from './executors/build/executor';
export * from './lib/hierarchy/image-graph';
export * from './lib/hierarchy/resolve-parent';
export * from './lib/settings/build-settings';
export * from './lib/records/build-record';
export { postTasksExecution } from './run-summary/post-tasks-execution';
