import { OrchestratorLogParser } from '@brier/results';
import { describe, expect, it } from 'vitest';

import { toOrchestratorStep } from './orchestrator-step.js';

function entries(log: string) {
  const parser = new OrchestratorLogParser();
  parser.feed(log);
  parser.flush();
  return parser.summary().steps;
}

describe('toOrchestratorStep', () => {
  it('maps a classic step line and its filter line to the progress DTO', () => {
    const [entry] = entries(
      [
        '12:00:01 INFO Detected 2/64 rollouts (gibberish=2)',
        '12:00:02 SUCCESS Step 3 | Time: 8.98s | Reward: 0.3787 | Seq. Length: 473.6 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 1',
        '',
      ].join('\n'),
    );
    expect(entry).toBeDefined();
    expect(toOrchestratorStep(entry!)).toEqual({
      step: 3,
      timeS: 8.98,
      reward: 0.3787,
      seqLen: 473.6,
      asyncLevel: 0,
      offPolicyLevel: 1,
      filteredCount: 2,
      filteredTotal: 64,
      filtered: { gibberish: 2 },
    });
  });

  it('turns values the API would refuse into null', () => {
    const [entry] = entries(
      '12:00:02 SUCCESS Step 0 | Time: 1.5s | Reward: 0.5 | Seq. Length: 10.0 tokens/sample | Async Level: 0 | Max. Off-Policy Level: 0\n',
    );
    const broken = { ...entry!, reward: Number.NaN, timeSeconds: -1 } as typeof entry;
    expect(toOrchestratorStep(broken!)).toMatchObject({ step: 0, reward: null, timeS: null, filtered: null });
  });
});
