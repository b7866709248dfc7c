import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { ClaimRunResponse } from '@brier/contracts';

export interface ResumePoint {
  /** 0 to start fresh, or N to resume from checkpoint step_N. */
  startStep: number;
  /** Why it starts fresh although the API named a checkpoint (then an event says so). */
  notReachable: string | null;
}

/**
 * Where this attempt starts. The API names the last complete trainer checkpoint of an earlier
 * attempt; its files are on the host that wrote them. When they are not here (another host, or
 * deleted), the attempt starts fresh rather than fail: its rollouts supersede the old ones step by step.
 */
export async function resumePoint(claim: ClaimRunResponse, runDir: string): Promise<ResumePoint> {
  const checkpoint = claim.resumeCheckpoint;
  if (claim.resumeStep === null || checkpoint === null) return { startStep: 0, notReachable: null };
  const where = join(runDir, checkpoint.path);
  try {
    if ((await stat(where)).isDirectory()) return { startStep: claim.resumeStep, notReachable: null };
  } catch {
    // fall through: not on this host
  }
  return {
    startStep: 0,
    notReachable:
      `checkpoint step ${claim.resumeStep} of attempt ${checkpoint.attempt} (${checkpoint.path}) is not on this host` +
      `${checkpoint.agentId ? ` (written by agent ${checkpoint.agentId})` : ''}; starting from step 0`,
  };
}
