import { describe, expect, it } from 'vitest';

import { HeldRuns, stopReasonOf } from './held-runs.js';

const run = (runId: string) => ({
  runId,
  kind: 'train' as const,
  leaseToken: `${runId}-lease`,
  attempt: 1,
  gpuIndices: [0],
});

describe('HeldRuns', () => {
  it('stopAll stops the runs held now; a run held later runs', () => {
    const held = new HeldRuns();
    const before = held.hold(run('a'));
    held.stopAll('revoked');
    expect(stopReasonOf(before.stop.signal)).toBe('revoked');
    expect(stopReasonOf(held.hold(run('b')).stop.signal)).toBeNull();
  });

  it('closeAll also stops, before it starts, a run whose claim was still in flight', () => {
    const held = new HeldRuns();
    const before = held.hold(run('a'));
    held.closeAll('shutdown');
    const after = held.hold(run('b'));
    expect(stopReasonOf(before.stop.signal)).toBe('shutdown');
    expect(stopReasonOf(after.stop.signal)).toBe('shutdown');
    held.closeAll('revoked');
    expect(stopReasonOf(held.hold(run('c')).stop.signal)).toBe('shutdown');
  });

  it('keeps the first stop reason of a run', () => {
    const held = new HeldRuns();
    held.hold(run('a'));
    expect(held.requestStop('a', 'cancel')).toBe(true);
    expect(held.requestStop('a', 'revoked')).toBe(false);
    expect(stopReasonOf(held.get('a')!.stop.signal)).toBe('cancel');
  });
});
