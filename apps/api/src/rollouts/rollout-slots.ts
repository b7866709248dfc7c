import { Injectable } from '@nestjs/common';

import { RolloutLimitsConfig } from './rollout-limits.config.js';
import { Slots } from './slots.js';

/** Ingestion sessions (rollout bodies and imports) at once: ROLLOUTS_MAX_SESSIONS. */
@Injectable()
export class IngestSlots extends Slots {
  constructor(limits: RolloutLimitsConfig) {
    super(limits.ROLLOUTS_MAX_SESSIONS);
  }
}

/** Streamed exports at once: ROLLOUTS_MAX_EXPORTS. */
@Injectable()
export class ExportSlots extends Slots {
  constructor(limits: RolloutLimitsConfig) {
    super(limits.ROLLOUTS_MAX_EXPORTS);
  }
}
