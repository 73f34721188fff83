// The workspace's Nx plugin, loaded by every Nx command (nx.json "plugins"):
// keep it to the graph and run hooks, so loading it stays cheap.
import { assertSupportedNode, workspaceRootAbove } from './lib/node-version/node-version';

// Nx prints a plugin's load error as one line: an old Node stops here, before any task starts.
const workspaceRoot = workspaceRootAbove(__dirname);
if (workspaceRoot) assertSupportedNode(workspaceRoot);

export { createNodes } from './graph/infer-image-targets';
export { createDependencies } from './graph/check-hierarchy';
export { postTasksExecution } from './run-summary/post-tasks-execution';
