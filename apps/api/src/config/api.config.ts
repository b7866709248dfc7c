import { IsPostgresUrl, IsRedisUrl } from '@brier/config';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** The API's environment, validated at boot (`loadConfigOrExit(ApiConfig)`). */
export class ApiConfig {
  @IsIn(NODE_ENVS, { message: `must be one of ${NODE_ENVS.join(', ')}` })
  NODE_ENV: NodeEnv = 'development';

  @IsInt({ message: 'must be a port number from 0 to 65535' })
  @Min(0, { message: 'must be a port number from 0 to 65535' })
  @Max(65535, { message: 'must be a port number from 0 to 65535' })
  PORT: number = 3000;

  /** Interface to listen on; the container image sets 0.0.0.0. */
  @Matches(/^[A-Za-z0-9.:-]+$/, { message: 'must be a host name or IP address' })
  HOST: string = '127.0.0.1';

  @IsPostgresUrl()
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/brier';

  @IsRedisUrl()
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** Prefix of every BullMQ key; one per deployment (tests use their own). */
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'must be letters, digits, "_" or "-"' })
  BRIER_QUEUE_PREFIX: string = 'brier';

  /** How often the reconciler re-enqueues queued runs whose job is missing (also once at boot). */
  @IsInt({ message: 'must be a whole number of milliseconds from 100 to 3600000' })
  @Min(100, { message: 'must be a whole number of milliseconds from 100 to 3600000' })
  @Max(3_600_000, { message: 'must be a whole number of milliseconds from 100 to 3600000' })
  RECONCILE_INTERVAL_MS: number = 15_000;

  /** A queued run is left alone this long after its last change (its own enqueue may be in flight). */
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 3600000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 3600000' })
  @Max(3_600_000, { message: 'must be a whole number of milliseconds from 0 to 3600000' })
  RECONCILE_GRACE_MS: number = 5_000;

  /** How long a request waits for Redis to take a job before answering 503 (the run stays queued). */
  @IsInt({ message: 'must be a whole number of milliseconds from 50 to 10000' })
  @Min(50, { message: 'must be a whole number of milliseconds from 50 to 10000' })
  @Max(10_000, { message: 'must be a whole number of milliseconds from 50 to 10000' })
  ENQUEUE_TIMEOUT_MS: number = 1_000;

  /** How often agents heartbeat (told at registration); a run silent for 3 times this is lost. */
  @IsInt({ message: 'must be a whole number of milliseconds from 50 to 600000' })
  @Min(50, { message: 'must be a whole number of milliseconds from 50 to 600000' })
  @Max(600_000, { message: 'must be a whole number of milliseconds from 50 to 600000' })
  AGENT_HEARTBEAT_INTERVAL_MS: number = 10_000;

  /** How often the reaper looks for silent runs and agents (one pass at a time); 0 turns it off. */
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 3600000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 3600000' })
  @Max(3_600_000, { message: 'must be a whole number of milliseconds from 0 to 3600000' })
  REAPER_INTERVAL_MS: number = 10_000;

  /** A run lost this many times is failed instead of re-queued (a run that kills its host). */
  @IsInt({ message: 'must be a whole number from 1 to 100' })
  @Min(1, { message: 'must be a whole number from 1 to 100' })
  @Max(100, { message: 'must be a whole number from 1 to 100' })
  RUN_MAX_LOST_ATTEMPTS: number = 5;

  /** Comment lines on live log streams (SSE) this often, so proxies keep idle streams open. */
  @IsInt({ message: 'must be a whole number of milliseconds from 50 to 300000' })
  @Min(50, { message: 'must be a whole number of milliseconds from 50 to 300000' })
  @Max(300_000, { message: 'must be a whole number of milliseconds from 50 to 300000' })
  LOG_STREAM_KEEPALIVE_MS: number = 15_000;
}
