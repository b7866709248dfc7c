import { stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { ClaimRunResponse } from '@brier/contracts';

import { checkpointFingerprint } from '../checkpoints/checkpoint-fingerprint.js';

export interface ResumePoint {
  /** 0 to start fresh, or N to resume from checkpoint step_N. */
  startStep: number;
  /**
   * Training had ended (the checkpoint is the final step's, every step is stored): the attempt
   * re-commits the run from it without starting prime-rl (reliability.md §2.11 #16).
   */
  trainingEnded: boolean;
  /** Why it starts fresh although the API named a checkpoint (then an event says so). */
  notReachable: string | null;
}

/**
 * Where this attempt starts. The API names the last complete trainer checkpoint of an earlier
 * attempt; its files are on the host that wrote them. When they are not here (another host, or
 * deleted) or no longer what was reported (a file cut short or missing: the fingerprint differs),
 * the attempt starts fresh rather than fail: its rollouts supersede the old ones step by step.
 */
export async function resumePoint(
  claim: ClaimRunResponse,
  runDir: string,
  maxSteps: number,
): Promise<ResumePoint> {
  const checkpoint = claim.resumeCheckpoint;
  if (claim.resumeStep === null || checkpoint === null) {
    return { startStep: 0, trainingEnded: false, notReachable: null };
  }
  const where = join(runDir, checkpoint.path);
  const of = `checkpoint step ${claim.resumeStep} of attempt ${checkpoint.attempt} (${checkpoint.path})`;
  const fresh = (why: string): ResumePoint => ({
    startStep: 0,
    trainingEnded: false,
    notReachable: `${of} ${why}; starting from step 0`,
  });
  if (!(await isDirectory(where))) {
    return fresh(
      `is not on this host${checkpoint.agentId ? ` (written by agent ${checkpoint.agentId})` : ''}`,
    );
  }
  if (checkpoint.fingerprint !== null && (await checkpointFingerprint(where)) !== checkpoint.fingerprint) {
    return fresh('is not what was written (its files changed since: fingerprint mismatch)');
  }
  const trainingEnded = claim.resumeStep >= maxSteps;
  if (trainingEnded && checkpoint.fingerprint === null) {
    // Only a fingerprinted checkpoint vouches for an ended training (the API offers no other).
    return fresh("is the final step's but has no fingerprint to check it by");
  }
  return { startStep: claim.resumeStep, trainingEnded, notReachable: null };
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
