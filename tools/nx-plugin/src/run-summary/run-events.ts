import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What happened to an image during a run that Nx's task results do not
 * show: a task a batch did not run because its parent failed (Nx keeps no
 * result for it), and a recorded image brought back for a consumer (its own
 * task was an Nx cache hit).
 */
export interface RunEvent {
  /** When it happened (ms since the epoch): the summary takes the events of its own run only. */
  at: number;
  /** `<project>:<target>` of the image's own build task. */
  task: string;
  kind: 'not-run' | 'rebuilt' | 'pulled';
}

/** One JSON line per event, appended by the tasks of a run (each line is one small write) and read once by its summary. */
export const runEventsPath = (workspaceRoot: string) => join(workspaceRoot, 'dist', 'run-events.jsonl');

export function appendRunEvent(workspaceRoot: string, event: Omit<RunEvent, 'at'>, now = Date.now()): void {
  const path = runEventsPath(workspaceRoot);
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify({ at: now, ...event })}\n`);
}

/** The events since `since` (the run's start), and the file emptied: the next run starts from none. */
export function takeRunEvents(workspaceRoot: string, since: number): RunEvent[] {
  const path = runEventsPath(workspaceRoot);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  rmSync(path, { force: true });
  return parseRunEvents(text).filter((event) => event.at >= since);
}

export function parseRunEvents(text: string): RunEvent[] {
  const events: RunEvent[] = [];
  for (const line of text.split('\n')) {
    try {
      const event = JSON.parse(line) as RunEvent;
      if (typeof event.at === 'number' && typeof event.task === 'string' && ['not-run', 'rebuilt', 'pulled'].includes(event.kind)) events.push(event);
    } catch {
      // an empty or torn line (a run killed mid-write): not an event
    }
  }
  return events;
}
