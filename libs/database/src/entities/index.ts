import { AgentEntity } from './agent.entity.js';
import { ApiTokenEntity } from './api-token.entity.js';
import { CheckpointEntity } from './checkpoint.entity.js';
import { IngestBatchEntity } from './ingest-batch.entity.js';
import { OrchestratorStepEntity } from './orchestrator-step.entity.js';
import { PromptEntity } from './prompt.entity.js';
import { RolloutEntity } from './rollout.entity.js';
import { RunAttemptEntity } from './run-attempt.entity.js';
import { RunEventEntity } from './run-event.entity.js';
import { RunLogEntity } from './run-log.entity.js';
import { RunEntity } from './run.entity.js';
import { StepAggregateEntity } from './step-aggregate.entity.js';

export { AgentEntity, type AgentStatus } from './agent.entity.js';
export { ApiTokenEntity } from './api-token.entity.js';
export { CheckpointEntity, type CheckpointKind } from './checkpoint.entity.js';
export { IngestBatchEntity } from './ingest-batch.entity.js';
export { OrchestratorStepEntity } from './orchestrator-step.entity.js';
export { PromptEntity } from './prompt.entity.js';
export { RolloutEntity } from './rollout.entity.js';
export { RunAttemptEntity, type RunAttemptStatus } from './run-attempt.entity.js';
export { RunEventEntity } from './run-event.entity.js';
export { RunLogEntity, type RunLogStream } from './run-log.entity.js';
export { RunEntity } from './run.entity.js';
export { StepAggregateEntity } from './step-aggregate.entity.js';

/** Every entity, for a DataSource (or TypeOrmModule.forRoot) configuration. */
export const DATABASE_ENTITIES = [
  AgentEntity,
  ApiTokenEntity,
  CheckpointEntity,
  IngestBatchEntity,
  OrchestratorStepEntity,
  PromptEntity,
  RolloutEntity,
  RunAttemptEntity,
  RunEventEntity,
  RunLogEntity,
  RunEntity,
  StepAggregateEntity,
];
