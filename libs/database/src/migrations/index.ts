import { InitialSchema1795644208665 } from './1795644208665-initial-schema.js';
import { AgentLeases1795648089518 } from './1795648089518-agent-leases.js';
import { RunDescription1795653117220 } from './1795653117220-run-description.js';
import { LiveNotify1795663310000 } from './1795663310000-live-notify.js';
import { ApiTokens1795670000000 } from './1795670000000-api-tokens.js';
import { CheckpointFingerprints1795680000000 } from './1795680000000-checkpoint-fingerprints.js';
import { PartitionRollouts1795690000000 } from './1795690000000-partition-rollouts.js';

/** Every migration, oldest first. Add new ones at the end; never edit one that has run. */
export const DATABASE_MIGRATIONS = [
  InitialSchema1795644208665,
  AgentLeases1795648089518,
  RunDescription1795653117220,
  LiveNotify1795663310000,
  ApiTokens1795670000000,
  CheckpointFingerprints1795680000000,
  PartitionRollouts1795690000000,
];
