import {
  AGENT_API,
  BATCH_ID_HEADER,
  LEASE_TOKEN_HEADER,
  ROLLOUT_API,
  type AgentHeartbeatDto,
  type AgentHeartbeatResponse,
  type AppendRunLogsDto,
  type AppendRunLogsResponse,
  type ClaimRunDto,
  type ClaimRunResponse,
  type FinishRunDto,
  type FinishRunResponse,
  type IngestRolloutsResponse,
  type RegisterAgentDto,
  type RegisterAgentResponse,
  type ReportCheckpointDto,
  type ReportCheckpointResponse,
  type ReportRunEventDto,
  type ReportRunEventResponse,
  type RunProgressDto,
  type RunProgressResponse,
} from '@brier/contracts';

import { errorFromFailure, errorFromResponse } from './api-errors.js';
import { headersOf, httpPost, type HttpAnswer } from './http-post.js';

export interface AgentApiClientOptions {
  /** The API's base URL, e.g. http://api:3000 (no trailing /v1). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; never logged or put in an error. */
  token?: string;
  /** Per request, connection to last byte (default 10 s). */
  requestTimeoutMs?: number;
}

/** A rollout batch's NDJSON: plain from memory, gzipped as written when read back from the spool. */
export interface BatchPayload {
  body: Buffer;
  gzipped: boolean;
}

export interface IngestRolloutsOptions {
  leaseToken: string;
  /** Idempotency key of the batch: a replay of a stored batch is a no-op. */
  batchId: string;
  /** The batch as NDJSON, plain or gzipped. */
  payload: BatchPayload;
}

interface RequestInput {
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * The gpu-agent's side of docs/agent-api.md: one method per route, typed errors (api-errors.ts)
 * and no retries of its own — callers decide what a retry means (a claim must never be retried,
 * a log batch must be retried until acknowledged; see retryWhileUnavailable).
 */
export class AgentApiClient {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: AgentApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  register(body: RegisterAgentDto): Promise<RegisterAgentResponse> {
    return this.post(AGENT_API.register(), { json: body });
  }

  heartbeat(agentId: string, body: AgentHeartbeatDto): Promise<AgentHeartbeatResponse> {
    return this.post(AGENT_API.heartbeat(agentId), { json: body });
  }

  /** Never retry a claim whose answer was lost: the retry gets 409 not-claimable (docs/agent-api.md). */
  claim(runId: string, body: ClaimRunDto): Promise<ClaimRunResponse> {
    return this.post(AGENT_API.claim(runId), { json: body });
  }

  progress(runId: string, body: RunProgressDto): Promise<RunProgressResponse> {
    return this.post(AGENT_API.progress(runId), { json: body });
  }

  event(runId: string, body: ReportRunEventDto): Promise<ReportRunEventResponse> {
    return this.post(AGENT_API.events(runId), { json: body });
  }

  logs(runId: string, body: AppendRunLogsDto): Promise<AppendRunLogsResponse> {
    return this.post(AGENT_API.logs(runId), { json: body });
  }

  checkpoint(runId: string, body: ReportCheckpointDto): Promise<ReportCheckpointResponse> {
    return this.post(AGENT_API.checkpoints(runId), { json: body });
  }

  finish(runId: string, body: FinishRunDto): Promise<FinishRunResponse> {
    return this.post(AGENT_API.finish(runId), { json: body });
  }

  ingestRollouts(runId: string, options: IngestRolloutsOptions): Promise<IngestRolloutsResponse> {
    return this.post(ROLLOUT_API.ingest(runId), {
      body: options.payload.body,
      headers: {
        'content-type': 'application/x-ndjson',
        'content-encoding': options.payload.gzipped ? 'gzip' : 'identity',
        [BATCH_ID_HEADER]: options.batchId,
        [LEASE_TOKEN_HEADER]: options.leaseToken,
      },
    });
  }

  private async post<T>(path: string, input: RequestInput): Promise<T> {
    const method = 'POST';
    const headers: Record<string, string> = { accept: 'application/json', ...input.headers };
    if (input.json !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    const body = input.json !== undefined ? JSON.stringify(input.json) : input.body;

    let answer: HttpAnswer;
    try {
      answer = await httpPost(new URL(`${this.baseUrl}${path}`), headers, body, this.timeoutMs);
    } catch (error) {
      throw errorFromFailure(method, path, error, this.timeoutMs);
    }
    const { status, text } = answer;
    if (status < 200 || status > 299) {
      throw errorFromResponse(method, path, status, headersOf(answer.headers), text);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}
