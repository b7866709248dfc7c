import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, it } from 'vitest';

import { SampledEventReporter, type RunEventReport } from './sampled-event-reporter.js';

describe('SampledEventReporter', () => {
  it('reports the first few one by one, then summaries at most once per interval, the rest at close', async () => {
    const events: RunEventReport[] = [];
    const reporter = new SampledEventReporter({
      type: 'reward-mismatch',
      what: 'reward mismatch(es)',
      emit: (event) => events.push(event),
      individually: 2,
      summaryIntervalMs: 60,
    });
    for (let i = 0; i < 5; i++) reporter.report(`mismatch ${i}`, { i });
    expect(events.map((e) => e.message)).toEqual(['mismatch 0', 'mismatch 1']);
    await sleep(120); // the pending three are summarised when the interval is over
    expect(events[2]).toEqual({
      type: 'reward-mismatch',
      message: '3 more reward mismatch(es) (5 in all so far)',
      data: { count: 3, total: 5, last: { i: 4 } },
    });
    reporter.report('mismatch 5', { i: 5 });
    reporter.summarize();
    expect(events.map((e) => e.data?.['count'] ?? e.data?.['occurrence'])).toEqual([1, 2, 3, 1]);
    expect(reporter.count).toBe(6);
    reporter.summarize();
    expect(events).toHaveLength(4);
  });
});
