import { Module } from '@nestjs/common';

import { LiveController } from './live.controller.js';
import { LiveHub } from './live-hub.js';
import { LiveListener } from './live-listener.js';

/**
 * Live runs: GET /v1/runs/live and GET /v1/runs/{id}/live (SSE), fed by one LISTEN connection per
 * process on the NOTIFYs of the runs and step_aggregates triggers. Uses the global DatabaseModule.
 * Registered before RunsModule: /v1/runs/live must be routed before /v1/runs/{id} claims it.
 */
@Module({
  controllers: [LiveController],
  providers: [LiveListener, LiveHub],
  exports: [LiveHub],
})
export class LiveModule {}
