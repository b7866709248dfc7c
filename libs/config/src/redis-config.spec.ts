import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { ConfigError } from './config-error.js';
import { createRedisClient } from './redis-client.js';
import { hashTagOf, RedisConfig } from './redis-config.js';
import { validateConfig } from './validate-config.js';

describe('hashTagOf', () => {
  it('follows Redis Cluster: the first {…} with something inside', () => {
    expect(hashTagOf('{brier}:runs:id')).toBe('brier');
    expect(hashTagOf('x{a}{b}')).toBe('a');
    expect(hashTagOf('brier')).toBeNull();
    expect(hashTagOf('{}brier')).toBeNull();
    expect(hashTagOf('{brier')).toBeNull();
  });
});

describe('BRIER_QUEUE_PREFIX', () => {
  const problems = (env: Record<string, string>): string => {
    try {
      validateConfig(RedisConfig, env);
      return '';
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.message;
    }
  };

  it('takes a plain prefix or a hash tag outside cluster mode', () => {
    expect(problems({ BRIER_QUEUE_PREFIX: 'brier-prod' })).toBe('');
    expect(problems({ BRIER_QUEUE_PREFIX: '{brier}' })).toBe('');
    expect(problems({ BRIER_QUEUE_PREFIX: 'has space' })).toMatch(/must be a Redis key prefix/);
  });

  it('needs a leading hash tag in cluster mode', () => {
    expect(problems({ REDIS_CLUSTER: 'true', BRIER_QUEUE_PREFIX: 'brier' })).toMatch(
      /must start with a hash tag/,
    );
    expect(problems({ REDIS_CLUSTER: 'true', BRIER_QUEUE_PREFIX: 'x{brier}' })).toMatch(/hash tag/);
    expect(problems({ REDIS_CLUSTER: 'true', BRIER_QUEUE_PREFIX: '{brier}' })).toBe('');
  });
});

describe('createRedisClient', () => {
  const client = (env: Record<string, string>) =>
    createRedisClient(validateConfig(RedisConfig, env), {
      connectionName: 'spec',
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });

  it('takes TLS, user, password (decoded) and database from the URL', () => {
    const redis = client({ REDIS_URL: 'rediss://app:p%40ss@redis.example:6380/2' }) as Redis;
    expect(redis).toBeInstanceOf(Redis);
    expect(redis.options).toMatchObject({
      host: 'redis.example',
      port: 6380,
      username: 'app',
      password: 'p@ss',
      db: 2,
      tls: {},
    });
    expect((client({ REDIS_URL: 'redis://127.0.0.1:6379' }) as Redis).options.tls).toBeUndefined();
  });

  it('opens a Cluster whose every node gets the credentials and TLS', () => {
    const cluster = client({
      REDIS_URL: 'rediss://:secret@node-1:7000',
      REDIS_CLUSTER: 'true',
      BRIER_QUEUE_PREFIX: '{brier}',
    }) as Cluster;
    expect(cluster).toBeInstanceOf(Cluster);
    expect(cluster.options.redisOptions).toMatchObject({
      password: 'secret',
      tls: {},
      maxRetriesPerRequest: 1,
    });
  });
});
