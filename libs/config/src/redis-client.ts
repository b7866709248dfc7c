import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';

import { Cluster, Redis, type RedisOptions } from 'ioredis';

import type { RedisConfig } from './redis-config.js';

/** A standalone connection or a Cluster client: the commands Brier uses work on both. */
export type RedisClient = Redis | Cluster;

/** What differs between the connections of one process (the rest comes from RedisConfig). */
export interface RedisClientOptions {
  /** Shown in CLIENT LIST, e.g. brier-api-health. */
  connectionName: string;
  /** null for BullMQ workers (blocking commands retry forever); a number fails a command fast. */
  maxRetriesPerRequest: number | null;
  enableOfflineQueue?: boolean;
  lazyConnect?: boolean;
  connectTimeout?: number;
  commandTimeout?: number;
  /** Delay before reconnect attempt `attempt`, in ms (for a cluster: before re-reading its nodes). */
  retryStrategy?: (attempt: number) => number;
}

/**
 * The one place a Brier process opens a Redis connection. Reads REDIS_URL itself (ioredis would
 * take `rediss://` but connect without TLS), so TLS, user, password and database always apply, on
 * every node of a cluster too. The password is never logged: ioredis errors name host:port only.
 */
export function createRedisClient(config: RedisConfig, options: RedisClientOptions): RedisClient {
  const url = new URL(config.REDIS_URL);
  const node = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...perConnection } = options;
  const nodeOptions: RedisOptions = {
    ...perConnection,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === 'rediss:' ? tlsOptions(config) : undefined,
  };
  if (config.REDIS_CLUSTER === 'true') {
    return new Cluster([node], {
      redisOptions: nodeOptions,
      enableOfflineQueue,
      lazyConnect,
      clusterRetryStrategy: retryStrategy,
      // Nodes announce IP addresses: connect to them as announced (TLS checks the certificate's IP SAN).
      dnsLookup: (address, callback) => callback(null, address),
    });
  }
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
  return new Redis({ ...node, ...nodeOptions, db, enableOfflineQueue, lazyConnect, retryStrategy });
}

function tlsOptions(config: RedisConfig): ConnectionOptions {
  return config.REDIS_TLS_CA_FILE ? { ca: readFileSync(config.REDIS_TLS_CA_FILE) } : {};
}
