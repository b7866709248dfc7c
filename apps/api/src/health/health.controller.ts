import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';

import { HealthService, type HealthReport } from './health.service.js';
import { Public } from '../auth/access.decorators.js';

@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 `{status:"ok", postgres:"up", redis:"up"}`, or 503 with the same shape naming what is down. */
  @Get()
  async check(): Promise<HealthReport> {
    const report = await this.health.check();
    if (report.status !== 'ok') throw new ServiceUnavailableException(report);
    return report;
  }
}
