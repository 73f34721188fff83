// The workspace's Nx plugin, loaded by every Nx command (nx.json "plugins"):
// keep it to the graph and run hooks, so loading it stays cheap.
export { createNodes } from './graph/infer-image-targets';
export { createDependencies } from './graph/check-hierarchy';
export { postTasksExecution } from './run-summary/post-tasks-execution';
