import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { ClaimRunResponse, ResumeCheckpoint } from '@brier/contracts';

import { checkpointFingerprint } from '../checkpoints/checkpoint-fingerprint.js';

export interface ResumePoint {
  /** 0 to start fresh, or N to resume from checkpoint step_N. */
  startStep: number;
  /**
   * Training had ended (the checkpoint is the final step's, every step is stored): the attempt
   * re-commits the run from it without starting prime-rl (reliability.md §2.11 #16).
   */
  trainingEnded: boolean;
  /** Why checkpoints the API named were passed over (then an event says so); null when none was. */
  notReachable: string | null;
}

/**
 * Where this attempt starts. The API names the last complete trainer checkpoint of an earlier
 * attempt, and a few older ones to fall back on; their files are in the runs directory of the
 * agent that wrote them (its host's, or an AGENT_RUNS_DIR all agents share). The attempt resumes
 * from the newest one that is here and still what was reported (a file cut short or missing
 * changes the fingerprint), or starts fresh rather than fail: its rollouts supersede the old ones
 * step by step.
 */
export async function resumePoint(
  claim: ClaimRunResponse,
  runDir: string,
  maxSteps: number,
): Promise<ResumePoint> {
  const offered =
    claim.resumeCheckpoint === null ? [] : [claim.resumeCheckpoint, ...(claim.resumeFallbacks ?? [])];
  const passedOver: string[] = [];
  for (const checkpoint of offered) {
    const problem = await unusable(checkpoint, runDir, maxSteps);
    if (problem === null) {
      return {
        startStep: checkpoint.step,
        trainingEnded: checkpoint.step >= maxSteps,
        notReachable:
          passedOver.length > 0 ? `${passedOver.join('; ')}; resuming from step ${checkpoint.step}` : null,
      };
    }
    passedOver.push(
      `checkpoint step ${checkpoint.step} of attempt ${checkpoint.attempt} (${checkpoint.path}) ${problem}`,
    );
  }
  return {
    startStep: 0,
    trainingEnded: false,
    notReachable: passedOver.length > 0 ? `${passedOver.join('; ')}; starting from step 0` : null,
  };
}

/** Why the attempt can't resume from `checkpoint` on this host; null when it can. */
async function unusable(
  checkpoint: ResumeCheckpoint,
  runDir: string,
  maxSteps: number,
): Promise<string | null> {
  const where = join(runDir, checkpoint.path);
  if (!(await isDirectory(where))) {
    return `is not on this host${checkpoint.agentId ? ` (written by agent ${checkpoint.agentId})` : ''}`;
  }
  if (checkpoint.fingerprint !== null && (await checkpointFingerprint(where)) !== checkpoint.fingerprint) {
    return 'is not what was written (its files changed since: fingerprint mismatch)';
  }
  if (checkpoint.step >= maxSteps && checkpoint.fingerprint === null) {
    // Only a fingerprinted checkpoint vouches for an ended training (the API offers no other).
    return "is the final step's but has no fingerprint to check it by";
  }
  return null;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}
