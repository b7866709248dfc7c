import type {
  ClaimRunDto,
  ClaimRunResponse,
  FinishRunDto,
  FinishRunResponse,
  ReportCheckpointDto,
  ReportCheckpointResponse,
  ReportRunEventDto,
  ReportRunEventResponse,
  RunProgressDto,
  RunProgressResponse,
} from '@brier/contracts';
import { CheckpointRepository, RunLeaseRepository, type Fenced } from '@brier/database';
import { Injectable } from '@nestjs/common';

import { leaseRefusalError } from './lease-errors.js';

/** The agent's side of a run: claim it, then report on it under the lease (every write fenced). */
@Injectable()
export class RunLeaseService {
  constructor(
    private readonly leases: RunLeaseRepository,
    private readonly checkpoints: CheckpointRepository,
  ) {}

  async claim(runId: string, dto: ClaimRunDto): Promise<ClaimRunResponse> {
    return unwrap(runId, await this.leases.claim(runId, dto));
  }

  async progress(runId: string, dto: RunProgressDto): Promise<RunProgressResponse> {
    return unwrap(runId, await this.leases.progress(runId, dto.leaseToken, dto.step, dto.orchestrator ?? []));
  }

  async reportEvent(runId: string, dto: ReportRunEventDto): Promise<ReportRunEventResponse> {
    return unwrap(
      runId,
      await this.leases.reportEvent(runId, dto.leaseToken, {
        type: dto.type,
        message: dto.message,
        data: dto.data ?? null,
        resumeStep: dto.resumeStep ?? null,
      }),
    );
  }

  async reportCheckpoint(runId: string, dto: ReportCheckpointDto): Promise<ReportCheckpointResponse> {
    return unwrap(
      runId,
      await this.checkpoints.report(runId, dto.leaseToken, {
        step: dto.step,
        kind: dto.kind,
        path: dto.path,
        complete: dto.complete,
        fingerprint: dto.fingerprint ?? null,
      }),
    );
  }

  async finish(runId: string, dto: FinishRunDto): Promise<FinishRunResponse> {
    return unwrap(
      runId,
      await this.leases.finish(runId, dto.leaseToken, {
        outcome: dto.outcome,
        exitCode: dto.exitCode ?? null,
        signal: dto.signal ?? null,
        error: dto.error
          ? {
              message: dto.error.message,
              stderrTail: dto.error.stderrTail ?? null,
              retryable: dto.error.retryable,
            }
          : null,
      }),
    );
  }
}

function unwrap<T>(runId: string, result: Fenced<T>): T {
  if (result.ok) return result.value;
  throw leaseRefusalError(runId, result);
}
