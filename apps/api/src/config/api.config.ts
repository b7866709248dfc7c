import { IsPostgresUrl, RedisConfig } from '@brier/config';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** The API's environment, validated at boot (`loadConfigOrExit(ApiConfig)`); Redis's part in RedisConfig. */
export class ApiConfig extends RedisConfig {
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

  /**
   * On shutdown, how long requests still in flight may take before their connections are cut (a
   * keep-alive connection is closed after its current answer in any case).
   */
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 600000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 600000' })
  @Max(600_000, { message: 'must be a whole number of milliseconds from 0 to 600000' })
  SHUTDOWN_GRACE_MS: number = 10_000;

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

  /**
   * After the API starts, or Postgres comes back, the reaper declares no run lost and no agent
   * offline for this long: the agents' heartbeats failed meanwhile and must get a chance first.
   * Unset: the lease timeout (3 × AGENT_HEARTBEAT_INTERVAL_MS).
   */
  @IsOptional()
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 3600000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 3600000' })
  @Max(3_600_000, { message: 'must be a whole number of milliseconds from 0 to 3600000' })
  REAPER_GRACE_MS?: number;

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

  /**
   * How long a token lookup is cached. Revocations are announced to every replica at once; this
   * bounds how long a revoked token works while that announcement cannot arrive (docs/security.md).
   */
  @IsInt({ message: 'must be a whole number of milliseconds from 0 to 60000' })
  @Min(0, { message: 'must be a whole number of milliseconds from 0 to 60000' })
  @Max(60_000, { message: 'must be a whole number of milliseconds from 0 to 60000' })
  AUTH_CACHE_TTL_MS: number = 2_000;

  /** Submits (POST /v1/runs, /v1/imports) per token per minute, shared by every replica; 0: no limit. */
  @IsInt({ message: 'must be a whole number from 0 to 1000000' })
  @Min(0, { message: 'must be a whole number from 0 to 1000000' })
  @Max(1_000_000, { message: 'must be a whole number from 0 to 1000000' })
  RATE_LIMIT_SUBMIT_PER_MINUTE: number = 300;

  /** Rollout batches (POST /v1/runs/{id}/rollouts) per token per minute; 0: no limit. */
  @IsInt({ message: 'must be a whole number from 0 to 1000000' })
  @Min(0, { message: 'must be a whole number from 0 to 1000000' })
  @Max(1_000_000, { message: 'must be a whole number from 0 to 1000000' })
  RATE_LIMIT_INGEST_PER_MINUTE: number = 30_000;

  /** Origins allowed to call the API from a browser (comma-separated); empty: CORS closed. */
  @Matches(/^(https?:\/\/[A-Za-z0-9.:[\]-]+)?(,https?:\/\/[A-Za-z0-9.:[\]-]+)*$/, {
    message: 'must be a comma-separated list of origins such as https://panel.example.org',
  })
  CORS_ORIGINS: string = '';

  /** Lifetime of the admin panel's session cookie, in seconds. */
  @IsInt({ message: 'must be a whole number of seconds from 60 to 2592000' })
  @Min(60, { message: 'must be a whole number of seconds from 60 to 2592000' })
  @Max(2_592_000, { message: 'must be a whole number of seconds from 60 to 2592000' })
  SESSION_MAX_AGE_S: number = 43_200;

  /** Mark the session cookie Secure (set true when the API is served over HTTPS). */
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  SESSION_COOKIE_SECURE: 'true' | 'false' = 'false';
}
