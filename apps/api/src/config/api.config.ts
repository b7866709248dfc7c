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
}
