import { access, readdir, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

import type { PrimeRlLayout } from '../prime-rl/prime-rl-adapter.js';

export interface CheckpointState {
  /** N in step_N: the number of finished steps it holds (a resume continues with step N). */
  step: number;
  /** `trainer`: what a resume restarts from; `weights`: Hugging Face weights vLLM can serve. */
  kind: 'trainer' | 'weights';
  /** The step directory, relative to the run directory, with '/' separators. */
  path: string;
  /** Fully written: safe to resume from, ship or serve. */
  complete: boolean;
  /** Of a complete one, once reported (checkpointFingerprint): what a later attempt checks. */
  fingerprint?: string;
}

/** step_<int> in canonical form (step_7, not step_07): anything else is not prime-rl's. */
const STEP_DIR = /^step_(0|[1-9]\d*)$/;

/**
 * Which markers say a step directory is whole (prime-rl v0.4.0, see the fake's checkpoints.py):
 * torch.distributed.checkpoint writes `trainer/.metadata` last; later classic releases also mark
 * `step_N/STABLE`. Weights get `STABLE` after every other file.
 */
const COMPLETE_MARKERS: Record<CheckpointState['kind'], string[][]> = {
  trainer: [['trainer', '.metadata'], ['STABLE']],
  weights: [['STABLE']],
};

/** Every step_N checkpoint and weights directory of a run, sorted by kind then step. */
export async function scanCheckpoints(layout: PrimeRlLayout, runDir: string): Promise<CheckpointState[]> {
  const trainer = await scanKind('trainer', layout.checkpointsDir, runDir);
  const weights = layout.weightsDir === null ? [] : await scanKind('weights', layout.weightsDir, runDir);
  return [...trainer, ...weights];
}

async function scanKind(
  kind: CheckpointState['kind'],
  root: string,
  runDir: string,
): Promise<CheckpointState[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []; // none written yet
    throw error;
  }
  const states: CheckpointState[] = [];
  for (const entry of entries) {
    const match = STEP_DIR.exec(entry.name);
    if (!match || !entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    states.push({
      step: Number(match[1]),
      kind,
      path: relative(runDir, dir).split(sep).join('/'),
      complete: await anyExists(COMPLETE_MARKERS[kind].map((parts) => join(dir, ...parts))),
    });
  }
  return states.sort((a, b) => a.step - b.step);
}

/**
 * Removes the step_N checkpoint and weights directories with N > `step`, returning their paths
 * (relative to runDir). An attempt that starts at `step` trains those steps again: what an earlier
 * attempt left there is a model of rollouts that are being replaced, and must not be reported as
 * this attempt's (the watcher would, on its first scan) or resumed from later.
 */
export async function discardCheckpointsAfter(
  layout: PrimeRlLayout,
  runDir: string,
  step: number,
): Promise<string[]> {
  const later = (await scanCheckpoints(layout, runDir)).filter((state) => state.step > step);
  for (const state of later) await rm(join(runDir, state.path), { recursive: true, force: true });
  return later.map((state) => state.path);
}

async function anyExists(paths: string[]): Promise<boolean> {
  for (const path of paths) {
    try {
      await access(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return false;
}
