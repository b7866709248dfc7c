import { randomUUID } from 'node:crypto';

import { ProcessGroup, type LaunchOptions } from './process-group.js';
import { PROCESS_MARKER_ENV, type ProcessLedger } from './process-ledger.js';

export interface RecordedLaunch {
  ledger: ProcessLedger;
  runId: string;
  /** Which start of the agent launches it. */
  incarnation: string;
}

/**
 * Launches a run's process group so that the agent's next incarnation can kill it whatever happens:
 * a pending ledger entry and a marker in the child's environment before the spawn, the group's ids
 * right after it. A kill -9 between the spawn and the second write leaves the marker to find it.
 */
export async function launchRecorded(
  recorded: RecordedLaunch,
  options: LaunchOptions,
): Promise<ProcessGroup> {
  const { ledger, runId, incarnation } = recorded;
  const marker = randomUUID();
  const base = { runId, marker, incarnation, command: options.command };
  await ledger.record({ ...base, pgid: null, pid: null, startedAt: new Date().toISOString() });
  const group = await ProcessGroup.launch({
    ...options,
    env: { ...options.env, [PROCESS_MARKER_ENV]: marker },
  });
  await ledger.record({
    ...base,
    pgid: group.pgid,
    pid: group.pid,
    startTicks: group.startTicks,
    startedAt: new Date().toISOString(),
  });
  return group;
}
