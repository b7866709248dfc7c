import { scoreCompletion, type LengthPenaltyConfig } from '@brier/calibration';

import type { EnvRollout } from './env-record.js';
import { SampledEventReporter, type RunEventReport } from './sampled-event-reporter.js';

/** Rewards further apart than this disagree (the seed's maths agree bit for bit when they agree). */
export const REWARD_TOLERANCE = 1e-9;

export const REWARD_MISMATCH_EVENT = 'reward-mismatch';

export interface RewardAuditOptions {
  /** The run's reward parameters (the spec's `reward` block). */
  penalty: LengthPenaltyConfig;
  emit: (event: RunEventReport) => void;
  individually?: number;
  summaryIntervalMs?: number;
}

/**
 * Scores every shipped completion again with libs/calibration and compares with the reward the
 * trainer used: a disagreement means the env and Brier's maths (or the run's parameters) differ,
 * so it is counted and reported as `reward-mismatch` events, never silently.
 */
export class RewardAudit {
  private readonly penalty: LengthPenaltyConfig;
  private readonly reporter: SampledEventReporter;
  private checkedCount = 0;

  constructor(options: RewardAuditOptions) {
    this.penalty = options.penalty;
    this.reporter = new SampledEventReporter({
      type: REWARD_MISMATCH_EVENT,
      what: 'reward mismatch(es) between the trainer and libs/calibration',
      emit: options.emit,
      ...(options.individually === undefined ? {} : { individually: options.individually }),
      ...(options.summaryIntervalMs === undefined ? {} : { summaryIntervalMs: options.summaryIntervalMs }),
    });
  }

  get checked(): number {
    return this.checkedCount;
  }

  get mismatches(): number {
    return this.reporter.count;
  }

  /** True when the trainer's reward disagrees with the recomputed one (rollouts without both are skipped). */
  check(rollout: EnvRollout): boolean {
    if (rollout.trainerReward === null || rollout.scoredCompletion === null) return false;
    this.checkedCount += 1;
    const score = scoreCompletion(rollout.scoredCompletion, rollout.groundTruth, this.penalty);
    const difference = rollout.trainerReward - score.reward;
    if (Math.abs(difference) <= REWARD_TOLERANCE) return false;
    this.reporter.report(
      `reward mismatch at index ${rollout.index} (step ${rollout.step}): the trainer's reward is ${rollout.trainerReward}, libs/calibration's ${score.reward}`,
      {
        index: rollout.index,
        step: rollout.step,
        sampleKey: rollout.wire.sample_key,
        exampleId: rollout.wire.example_id ?? null,
        trainerReward: rollout.trainerReward,
        recomputedReward: score.reward,
        difference,
        recomputedParseable: score.parseable,
        penalty: { ...this.penalty },
      },
    );
    return true;
  }

  /** Report the mismatches not reported yet. */
  close(): void {
    this.reporter.summarize();
  }
}
