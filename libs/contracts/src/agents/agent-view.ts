import type { RunKind } from '../runs/run-kind.js';
import type { RunStatus } from '../runs/run-status.js';
import type { AgentStatusName, LogStream } from './agent-limits.js';

/** A GPU of an agent as `GET /v1/agents` shows it: the last reported state and the run holding it. */
export interface AgentGpuView {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number;
  memoryUsedMiB: number;
  driverVersion: string;
  cudaVersion: string | null;
  /** The run leased this GPU, or null when it is free (as far as Brier knows). */
  runId: string | null;
}

/** A run an agent holds a lease on. */
export interface AgentRunView {
  runId: string;
  name: string;
  kind: RunKind;
  status: RunStatus;
  attempt: number;
  gpuIndices: number[];
  progressStep: number | null;
  maxSteps: number | null;
  startedAt: string | null;
  heartbeatAt: string | null;
}

/** `GET /v1/agents` items and `GET /v1/agents/{id}`. */
export interface AgentView {
  id: string;
  name: string;
  hostname: string;
  version: string;
  primeRlVersion: string | null;
  labels: string[];
  status: AgentStatusName;
  registeredAt: string;
  heartbeatAt: string;
  /** Milliseconds since its last heartbeat, by the database's clock. */
  heartbeatAgeMs: number;
  gpus: AgentGpuView[];
  runs: AgentRunView[];
}

/** One stored log line (`GET /v1/runs/{id}/logs`, and the data of each SSE event). */
export interface RunLogLineView {
  /** Position in the run's log (int8 as a string): the SSE event id, and `afterId` for the next page. */
  id: string;
  attempt: number;
  stream: LogStream;
  seq: number;
  line: string;
  at: string;
}

export interface RunLogPage {
  items: RunLogLineView[];
  /** Pass as afterId to continue (the last item's id; the request's afterId when there were none). */
  nextAfterId: string | null;
  /** More lines are stored beyond this page already (otherwise: poll with nextAfterId, or stream). */
  hasMore: boolean;
}
