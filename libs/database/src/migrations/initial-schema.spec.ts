import { RUN_KINDS, RUN_STATUSES } from '@brier/contracts';
import { describe, expect, it } from 'vitest';

import { INITIAL_SCHEMA_CHECK_LISTS } from './1795644208665-initial-schema.js';

describe('the initial migration', () => {
  it("checks runs.kind and runs.status against @brier/contracts' lists (a change there needs a new migration)", () => {
    expect(INITIAL_SCHEMA_CHECK_LISTS.runKinds).toEqual([...RUN_KINDS]);
    expect(INITIAL_SCHEMA_CHECK_LISTS.runStatuses).toEqual([...RUN_STATUSES]);
  });
});
