import { Module } from '@nestjs/common';

import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';
import { PgPostgresProbe, PostgresProbe } from './postgres.probe.js';
import { IoredisRedisProbe, RedisProbe } from './redis.probe.js';

@Module({
  controllers: [HealthController],
  providers: [
    HealthService,
    { provide: PostgresProbe, useClass: PgPostgresProbe },
    { provide: RedisProbe, useClass: IoredisRedisProbe },
  ],
})
export class HealthModule {}
