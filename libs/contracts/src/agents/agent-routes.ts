/**
 * Paths of the agent-facing API, for the gpu-agent's HTTP client and the API's tests. Every body
 * is JSON; every route answers 200 on success, 400 on a bad body, 404 for an unknown run or
 * agent, and 409 with a LeaseConflictBody when a fence rejects the call.
 */
export const AGENT_API = {
  register: () => '/v1/agents/register',
  heartbeat: (agentId: string) => `/v1/agents/${agentId}/heartbeat`,
  claim: (runId: string) => `/v1/runs/${runId}/claim`,
  progress: (runId: string) => `/v1/runs/${runId}/progress`,
  events: (runId: string) => `/v1/runs/${runId}/events`,
  logs: (runId: string) => `/v1/runs/${runId}/logs`,
  checkpoints: (runId: string) => `/v1/runs/${runId}/checkpoints`,
  finish: (runId: string) => `/v1/runs/${runId}/finish`,
} as const;
