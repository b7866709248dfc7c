import { QUEUES } from '@brier/contracts';
import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';

import { ReconcilePassDto, QueueSummaryDto } from './queue-summary.dto.js';
import { RunEnqueuer } from './run-enqueuer.js';
import { RunReconciler, type ReconcilePass } from './run-reconciler.js';
import { ADMINS, READERS, Roles } from '../auth/access.decorators.js';

function toPassDto(pass: ReconcilePass): ReconcilePassDto {
  return { ...pass, at: pass.at.toISOString() };
}

@ApiTags('admin')
@Roles(...READERS)
@Controller({ path: 'admin/queue', version: '1' })
export class QueueAdminController {
  constructor(
    private readonly enqueuer: RunEnqueuer,
    private readonly reconciler: RunReconciler,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Jobs per state in the runs queue, and what the reconciler re-enqueued' })
  @ApiOkResponse({ type: QueueSummaryDto })
  @ApiServiceUnavailableResponse({ description: 'Redis is unavailable.' })
  async summary(): Promise<QueueSummaryDto> {
    const counts = await this.enqueuer.counts();
    const last = this.reconciler.lastPass;
    return {
      queue: QUEUES.runs,
      counts,
      reconciled_total: this.reconciler.reconciledTotal,
      last_pass: last ? toPassDto(last) : null,
    };
  }

  @Post('reconcile')
  @Roles(...ADMINS)
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a reconciler pass now (or wait for the one in progress)' })
  @ApiOkResponse({ type: ReconcilePassDto })
  async reconcile(): Promise<ReconcilePassDto> {
    return toPassDto(await this.reconciler.reconcileNow());
  }
}
