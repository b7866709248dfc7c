import { randomUUID } from 'node:crypto';

import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createDataSource } from '../src/data-source.js';
import { RunEntity } from '../src/entities/run.entity.js';
import { MetricsRepository } from '../src/metrics/metrics.repository.js';
import { OrchestratorStepRepository } from '../src/orchestrator/orchestrator-step.repository.js';
import { RolloutIngestRepository } from '../src/rollouts/rollout-ingest.repository.js';
import { InvalidCursorError } from '../src/runs/run-cursor.js';
import { RunRepository, type CreateRunInput } from '../src/runs/run.repository.js';
import { makeRows } from './rollout-fixtures.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

let db: TestDatabase;
let dataSource: DataSource;
let runs: RunRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  dataSource = await createDataSource(db.url, { poolSize: 12 }).initialize();
  runs = new RunRepository(dataSource);
});
afterAll(async () => {
  await dataSource?.destroy();
  await db?.drop();
});

const input = (over: Partial<CreateRunInput> = {}): CreateRunInput => ({
  kind: 'train',
  name: 'seed preset',
  spec: { model: 'google/gemma-2-2b-it', maxSteps: 50 },
  specVersion: 1,
  ...over,
});

async function events(
  runId: string,
): Promise<{ type: string; from_status: string | null; to_status: string }[]> {
  return await dataSource.query<{ type: string; from_status: string | null; to_status: string }[]>(
    `SELECT type, from_status, to_status, actor, reason FROM run_events WHERE run_id = $1 ORDER BY id`,
    [runId],
  );
}

describe('RunRepository.create', () => {
  it('inserts a queued run with its defaults and a created event', async () => {
    const { run, created } = await runs.create(
      input({ labels: ['a100'], createdBy: 'alice', description: 'the seed, once more' }),
    );
    expect(created).toBe(true);
    expect(run).toBeInstanceOf(RunEntity);
    expect(run).toMatchObject({
      kind: 'train',
      status: 'queued',
      spec: { model: 'google/gemma-2-2b-it', maxSteps: 50 },
      specVersion: 1,
      gpuCount: 1,
      labels: ['a100'],
      attempt: 0,
      leaseToken: null,
      createdBy: 'alice',
      description: 'the seed, once more',
    });
    expect(run.createdAt).toBeInstanceOf(Date);
    expect(await events(run.id)).toEqual([
      { type: 'created', from_status: null, to_status: 'queued', actor: 'alice', reason: null },
    ]);
    expect(await runs.findById(run.id)).toEqual(run);
  });

  it('returns the existing run for a repeated idempotency key, also under concurrency', async () => {
    const key = `key-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runs.create(input({ idempotencyKey: key }))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
    const again = await runs.create(input({ idempotencyKey: key, name: 'different' }));
    expect(again).toMatchObject({ created: false, run: { id: results[0]!.run.id, name: 'seed preset' } });
  });

  it('findById answers null for unknown and malformed ids', async () => {
    expect(await runs.findById(randomUUID())).toBeNull();
    expect(await runs.findById('not-a-uuid')).toBeNull();
  });
});

describe('RunRepository.list', () => {
  it('filters by status, kind and name, newest first, with keyset and offset pages', async () => {
    const tag = randomUUID().slice(0, 8);
    const made: RunEntity[] = [];
    for (let i = 0; i < 7; i++) {
      const { run } = await runs.create(
        input({ name: `list-${tag}-${i}${i === 3 ? '_100%' : ''}`, kind: i % 2 ? 'eval' : 'train' }),
      );
      made.push(run);
    }
    await runs.transition(made[0]!.id, { from: ['queued'], to: 'cancelled', actor: 'test' });
    const newestFirst = [...made].reverse().map((r) => r.id);

    const all = await runs.list({ nameContains: `list-${tag}` });
    expect(all.items.map((r) => r.id)).toEqual(newestFirst);
    expect(all.nextCursor).toBeNull();

    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await runs.list({ nameContains: `LIST-${tag}`, limit: 3, ...(cursor ? { cursor } : {}) });
      pages.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(newestFirst);

    const offsetPage = await runs.list({ nameContains: `list-${tag}`, limit: 2, offset: 2 });
    expect(offsetPage.items.map((r) => r.id)).toEqual(newestFirst.slice(2, 4));

    const evals = await runs.list({ nameContains: `list-${tag}`, kind: 'eval' });
    expect(evals.items.map((r) => r.id)).toEqual(newestFirst.filter((_, i) => (6 - i) % 2 === 1));
    const queuedTrain = await runs.list({ nameContains: `list-${tag}`, kind: ['train'], status: ['queued'] });
    expect(queuedTrain.items.map((r) => r.name)).toEqual([`list-${tag}-6`, `list-${tag}-4`, `list-${tag}-2`]);
    // LIKE wildcards in the search are literal.
    expect((await runs.list({ nameContains: `${tag}-3_100%` })).items.map((r) => r.id)).toEqual([
      made[3]!.id,
    ]);
    expect((await runs.list({ nameContains: `${tag}-_` })).items).toEqual([]);
  });

  it('rejects a malformed cursor', async () => {
    await expect(runs.list({ cursor: 'garbage' })).rejects.toThrow(InvalidCursorError);
  });
});

describe('RunRepository.transition', () => {
  it('claims with a fenced update, records events, and refuses stale or wrong-status transitions', async () => {
    const { run } = await runs.create(input());
    const lease = randomUUID();
    const running = await runs.transition(run.id, {
      from: ['queued', 'lost'],
      to: 'running',
      actor: 'agent:gpu-1',
      reason: 'claimed',
      set: { leaseToken: lease, attempt: 1 },
      data: { gpus: [0, 1] },
    });
    expect(running).toMatchObject({ status: 'running', leaseToken: lease, attempt: 1 });
    expect(running!.startedAt).toBeInstanceOf(Date);
    expect(running!.heartbeatAt).toBeInstanceOf(Date);

    // A second claimant gets nothing.
    expect(
      await runs.transition(run.id, { from: ['queued', 'lost'], to: 'running', actor: 'agent:gpu-2' }),
    ).toBeNull();
    // A stale lease cannot finish the run.
    const stale = {
      from: ['running' as const],
      to: 'succeeded' as const,
      leaseToken: randomUUID(),
      actor: 'agent:old',
    };
    expect(await runs.transition(run.id, stale)).toBeNull();

    const done = await runs.transition(run.id, {
      from: ['running'],
      to: 'failed',
      leaseToken: lease,
      actor: 'agent:gpu-1',
      reason: 'exit 1',
      set: { exitCode: 1, error: { message: 'CUDA OOM', retryable: true } },
    });
    expect(done).toMatchObject({
      status: 'failed',
      exitCode: 1,
      error: { message: 'CUDA OOM', retryable: true },
    });
    expect(done!.finishedAt).toBeInstanceOf(Date);
    expect(done!.updatedAt.getTime()).toBeGreaterThanOrEqual(run.updatedAt.getTime());

    const history = await dataSource.query<unknown[]>(
      `SELECT type, from_status, to_status, actor, reason, data FROM run_events WHERE run_id = $1 ORDER BY id`,
      [run.id],
    );
    expect(history).toEqual([
      { type: 'created', from_status: null, to_status: 'queued', actor: 'api', reason: null, data: null },
      {
        type: 'status',
        from_status: 'queued',
        to_status: 'running',
        actor: 'agent:gpu-1',
        reason: 'claimed',
        data: { gpus: [0, 1] },
      },
      {
        type: 'status',
        from_status: 'running',
        to_status: 'failed',
        actor: 'agent:gpu-1',
        reason: 'exit 1',
        data: null,
      },
    ]);
  });

  it('lets exactly one of many concurrent claimants win', async () => {
    const { run } = await runs.create(input());
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        runs.transition(run.id, {
          from: ['queued'],
          to: 'running',
          actor: `agent:${i}`,
          set: { leaseToken: randomUUID() },
        }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect((await runs.findById(run.id))!.leaseToken).toBe(winners[0]!.leaseToken);
    expect((await events(run.id)).filter((e) => e.type === 'status')).toHaveLength(1);
  });

  it('refuses to set anything but the whitelisted columns', async () => {
    const { run } = await runs.create(input());
    await expect(
      runs.transition(run.id, {
        from: ['queued'],
        to: 'cancelled',
        actor: 'x',
        set: { spec: {} } as never,
      }),
    ).rejects.toThrow(/cannot set spec/);
  });
});

describe('deleting a run', () => {
  it('removes its rollouts, aggregates, batches and events', async () => {
    const { run } = await runs.create(input());
    await new RolloutIngestRepository(dataSource).ingest(
      run.id,
      `del-${run.id}`,
      makeRows({ steps: [0], perStep: 8 }),
    );
    await new OrchestratorStepRepository(dataSource).record(run.id, 0, [{ step: 0, reward: 0.5 }]);
    await dataSource.query(`DELETE FROM runs WHERE id = $1`, [run.id]);
    for (const table of [
      'rollouts',
      'step_aggregates',
      'ingest_batches',
      'run_events',
      'orchestrator_steps',
    ]) {
      const [row] = await dataSource.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${table} WHERE run_id = $1`,
        [run.id],
      );
      expect(row!.n, table).toBe(0);
    }
  });
});

describe('orchestrator steps', () => {
  it("show up beside the rows' metrics, latest attempt first, and replace a re-read line", async () => {
    const { run } = await runs.create(input());
    const orchestrator = new OrchestratorStepRepository(dataSource);
    await new RolloutIngestRepository(dataSource).ingest(
      run.id,
      `o-${run.id}`,
      makeRows({ steps: [0, 1], perStep: 8 }),
    );
    expect(
      await orchestrator.record(run.id, 0, [
        {
          step: 0,
          timeS: 8.98,
          reward: 0.3787,
          seqLen: 473.6,
          asyncLevel: 0,
          offPolicyLevel: 0,
          filteredCount: 2,
          filteredTotal: 1024,
          filtered: { gibberish: 2 },
        },
        { step: 1, reward: 0.1 },
      ]),
    ).toBe(2);
    await orchestrator.record(run.id, 0, [{ step: 1, reward: 0.2, seqLen: 400 }]);
    await orchestrator.record(run.id, 1, [{ step: 1, reward: 0.3, seqLen: 410 }]);
    const metrics = await new MetricsRepository(dataSource).stepMetrics(run.id);
    expect(metrics.map((m) => [m.step, m.orchestrator_reward, m.orchestrator_seq_len])).toEqual([
      [0, 0.3787, 473.6],
      [1, 0.3, 410],
    ]);
    const [stored] = await dataSource.query<unknown[]>(
      `SELECT filtered, filtered_count FROM orchestrator_steps WHERE run_id = $1 AND step = 0`,
      [run.id],
    );
    expect(stored).toEqual({ filtered: { gibberish: 2 }, filtered_count: 2 });
  });
});
