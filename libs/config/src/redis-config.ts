import {
  IsIn,
  IsOptional,
  IsString,
  IsNotEmpty,
  ValidateBy,
  type ValidationArguments,
} from 'class-validator';

import { IsRedisUrl } from './env-decorators.js';

const PREFIX = /^[A-Za-z0-9{}_.:-]{1,64}$/;

/**
 * The hash tag of a Redis key (Redis Cluster's rule: the text between the first "{" and the
 * next "}", if not empty), or null. Keys with the same hash tag live in one slot.
 */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open === -1) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}

/**
 * BRIER_QUEUE_PREFIX: a Redis key prefix; on a Redis Cluster it must hold a hash tag (`{brier}`),
 * because BullMQ's scripts touch several keys of a queue at once and Cluster only allows that
 * within one slot.
 */
function IsQueuePrefix(): PropertyDecorator {
  return ValidateBy({
    name: 'isQueuePrefix',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        if (typeof value !== 'string' || !PREFIX.test(value)) return false;
        const cluster = (args?.object as Partial<RedisConfig> | undefined)?.REDIS_CLUSTER === 'true';
        return !cluster || (value.startsWith('{') && hashTagOf(value) !== null);
      },
      defaultMessage: (args?: ValidationArguments) =>
        (args?.object as Partial<RedisConfig> | undefined)?.REDIS_CLUSTER === 'true'
          ? 'must start with a hash tag like {brier} on a Redis Cluster (REDIS_CLUSTER=true)'
          : 'must be a Redis key prefix like brier: 1-64 letters, digits, "{}_.:-"',
    },
  });
}

/**
 * How a process reaches Redis and names its queues: shared by the API and the agent (both extend
 * it) so both read the same variables the same way; connections come from createRedisClient.
 */
export class RedisConfig {
  /** redis://[user:password@]host:port[/db], or rediss:// for TLS. */
  @IsRedisUrl()
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  /** PEM file of the CA that signed Redis's certificate (rediss:// only); unset: the system's CAs. */
  @IsOptional()
  @IsString()
  @IsNotEmpty({ message: 'must be a file path' })
  REDIS_TLS_CA_FILE?: string;

  /** REDIS_URL is one node of a Redis Cluster (the others are discovered from it). */
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  REDIS_CLUSTER: 'true' | 'false' = 'false';

  /** Prefix of every BullMQ key; one per deployment (tests use their own). API and agents must agree. */
  @IsQueuePrefix()
  BRIER_QUEUE_PREFIX: string = 'brier';
}
