import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createTestDatabase } from '@brier/database/testing';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { startTestApi, TEST_REDIS_URL } from '../../apps/api/test/support/test-api.js';
import { mintToken } from '../../apps/api/test/support/test-tokens.js';
import {
  expectSucceededOnce,
  FAST_API_ENV,
  request,
  startAgent,
  submitTiny,
  untilStatus,
  waitFor,
  cleanupsAfterEach,
  recordedGroup,
} from './support/fault-harness.js';

// Issue 6: secrets never enter Redis, Postgres, logs or the panel. A training run on an agent
// whose host holds known secret values (and an API whose DATABASE_URL has a password); then
// every place data lands is searched for them.

const cleanups = cleanupsAfterEach();

/** Everything this process writes to stdout and stderr (the API's logs) until `stop()`. */
function captureOutput(): { text(): string; stop(): void } {
  let captured = '';
  const originals = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  const tap =
    (write: typeof process.stdout.write) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = tap(originals.out);
  process.stderr.write = tap(originals.err);
  return {
    text: () => captured,
    stop: () => {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}

/** Every value of every key of `prefix` (all Redis types), as text. */
async function redisDump(prefix: string): Promise<string> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const parts: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      for (const key of keys) {
        parts.push(key);
        const type = await redis.type(key);
        if (type === 'string') parts.push((await redis.get(key)) ?? '');
        else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
        else parts.push(`<${type}>`);
      }
      cursor = next;
    } while (cursor !== '0');
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

/** Key names anywhere on the shared Redis that contain `value` (names only: other tests' data is not read). */
async function redisKeysContaining(value: string): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${value}*`, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

describe('secrets of the agent host and the API', { timeout: 120_000 }, () => {
  it('reach the child process, and never Redis, Postgres, any log, the work directory or the API', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const secrets = {
      HF_TOKEN: `hf_${randomBytes(17).toString('hex')}`,
      WANDB_API_KEY: randomBytes(20).toString('hex'),
      DATABASE_PASSWORD: `pw-${randomBytes(12).toString('hex')}`,
      AGENT_API_TOKEN: '', // minted below
      ADMIN_TOKEN: '',
    };
    // Postgres here trusts local connections: the password is accepted and ignored, as a secret should be.
    const withPassword = new URL(db.url);
    withPassword.password = secrets.DATABASE_PASSWORD;
    const output = captureOutput();
    cleanups.push(() => Promise.resolve(output.stop()));
    const api = await startTestApi({ ...FAST_API_ENV, DATABASE_URL: withPassword.toString() }, db);
    cleanups.push(() => api.close());
    secrets.ADMIN_TOKEN = api.adminToken;
    secrets.AGENT_API_TOKEN = (
      await mintToken(api.app, 'agent', 'agent-secret-keeper', 'secret-keeper')
    ).token;

    const agent = startAgent(api, 'secret-keeper', {
      env: {
        AGENT_API_TOKEN: secrets.AGENT_API_TOKEN,
        HF_TOKEN: secrets.HF_TOKEN,
        WANDB_API_KEY: secrets.WANDB_API_KEY,
        FAKE_PRIME_RL_STEP_SECONDS: '1',
      },
    });
    const id = await submitTiny(api, 'secrets');
    // The child gets what it needs from the host: Hugging Face and W&B keys, not the agent's token.
    const pid = await waitFor(() => Promise.resolve(recordedGroup(agent.workDir, id)?.pid), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'the run to start',
    });
    const childEnv = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(childEnv).toContain(`HF_TOKEN=${secrets.HF_TOKEN}`);
    expect(childEnv).toContain(`WANDB_API_KEY=${secrets.WANDB_API_KEY}`);
    expect(childEnv.some((line) => line.includes(secrets.AGENT_API_TOKEN))).toBe(false);

    await untilStatus(api, id, 'succeeded');
    await expectSucceededOnce(api, id);

    // What a person or the panel can read through the API.
    const paths = [
      '/health',
      '/v1/runs',
      `/v1/runs/${id}`,
      `/v1/runs/${id}/attempts`,
      `/v1/runs/${id}/events`,
      `/v1/runs/${id}/logs?limit=1000`,
      `/v1/runs/${id}/checkpoints`,
      `/v1/runs/${id}/rollouts?format=jsonl`,
      '/v1/agents',
      '/v1/admin/queue',
      '/v1/tokens',
      '/v1/session',
    ];
    const panel: string[] = [];
    for (const path of paths) {
      const response = await fetch(`${api.url}${path}`, { headers: api.authHeaders });
      panel.push(
        `${path} ${response.status} ${JSON.stringify([...response.headers])} ${await response.text()}`,
      );
    }
    const logs = await request<{ items: unknown[] }>(`${api.url}/v1/runs/${id}/logs?limit=1000`, {
      headers: api.authHeaders,
    });
    expect(logs.body.items.length).toBeGreaterThan(10); // the logs were there to search

    const dump = await execa('pg_dump', ['--no-owner', db.url], { timeout: 30_000 });
    const places: Record<string, string> = {
      redis: await redisDump(api.queuePrefix),
      postgres: dump.stdout,
      'API logs': output.text(),
      'agent stdout': agent.stdout(),
      'agent stderr': agent.stderr(),
      'API responses': panel.join('\n'),
    };
    for (const file of filesUnder(agent.workDir)) {
      places[`work dir ${file.slice(agent.workDir.length)}`] = readFileSync(file, 'latin1');
    }
    expect(Object.keys(places).length).toBeGreaterThan(15);
    expect(places['postgres']).toContain(id);
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      for (const [place, text] of Object.entries(places)) {
        if (text.includes(value)) leaks.push(`${name} in ${place}`);
      }
      if ((await redisKeysContaining(value)).length > 0) leaks.push(`${name} in a Redis key name`);
    }
    expect(leaks).toEqual([]);
  });
});
