import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { request, waitFor } from '../../api/test/support/runs-fixtures.js';
import { recordedGroup, tempDir } from './support/agent-process.js';
import {
  cancelUntilCancelled,
  e2eApi,
  eventTypes,
  explained,
  isAlive,
  metrics,
  openRouteBlockingProxy,
  run,
  startAgent,
  submit,
  untilStatus,
  untilStep,
  useE2eApi,
  type CheckpointView,
  type Page,
  type RunView,
} from './support/e2e-harness.js';

// The whole path with nothing faked but prime-rl and nvidia-smi: the API (real Postgres, real
// Redis), the agent as its own process, and the fake prime-rl it drives exactly as the real one.

useE2eApi();

describe('gpu-agent end to end', { timeout: 150_000 }, () => {
  it('trains the smoke-tiny preset: every step, its rollouts, progress, logs and checkpoints stored', async () => {
    const agent = startAgent('e2e-train', 1);
    const id = await submit('e2e-smoke');
    await untilStatus(id, 'succeeded', 25_000);

    const steps = await metrics(id);
    expect(steps.map((step) => step.step)).toEqual([0, 1, 2, 3, 4]);
    expect(steps.every((step) => step.n === 64)).toBe(true);
    expect(
      steps.map((step) => step.orchestrator_reward !== null),
      JSON.stringify(steps),
    ).toEqual(steps.map(() => true));

    const checkpoints = (
      await request<CheckpointView[] | Page<CheckpointView>>(`${e2eApi().url}/v1/runs/${id}/checkpoints`, {
        headers: e2eApi().authHeaders,
      })
    ).body;
    const list = Array.isArray(checkpoints) ? checkpoints : checkpoints.items;
    const trainer = list.filter((c) => c.kind === 'trainer' && c.complete).map((c) => c.step);
    expect(trainer.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);

    const logs = (
      await request<Page<{ stream: string; line: string }>>(`${e2eApi().url}/v1/runs/${id}/logs?limit=1000`, {
        headers: e2eApi().authHeaders,
      })
    ).body;
    expect(
      logs.items.some((line) => line.stream === 'agent' && line.line.includes('claimed by agent e2e-train')),
    ).toBe(true);
    expect(logs.items.some((line) => line.stream === 'stdout')).toBe(true);
    expect(agent.stdout()).toContain('succeeded');
  });

  it('cancels a run within seconds and leaves no process of it alive, grandchildren included', async () => {
    const workDir = tempDir();
    startAgent(
      'e2e-cancel',
      1,
      { FAKE_PRIME_RL_STEP_SECONDS: '5', FAKE_PRIME_RL_FORK_GRANDCHILD: '1' },
      workDir,
    );
    const id = await submit('e2e-cancel');
    await untilStatus(id, 'running', 30_000);
    const grandchildFile = await waitFor(
      () => {
        const file = join(workDir, 'runs', id, 'rl', 'logs', 'fake-grandchild.pid');
        return Promise.resolve(
          existsSync(file) && readFileSync(file, 'utf8').trim() !== '' ? file : undefined,
        );
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the fake prime-rl grandchild' },
    );
    const grandchild = Number(readFileSync(grandchildFile, 'utf8').trim());

    expect(await cancelUntilCancelled(id)).toBeLessThan(15_000);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('resumes a run whose agent was killed -9 from its last checkpoint, every step stored exactly once', async () => {
    const workDir = tempDir();
    const knobs = { FAKE_PRIME_RL_STEP_SECONDS: '1' };
    const first = startAgent('e2e-crash', 1, knobs, workDir);
    const id = await submit('e2e-crash');
    await untilStep(id, 1);
    first.child.kill('SIGKILL');
    await first.exited;

    // The same host comes back: it kills what the dead incarnation left running, registers (which
    // hands the run back at once) and takes it again from its last complete checkpoint.
    const second = startAgent('e2e-crash', 1, knobs, workDir);
    const done = await untilStatus(id, 'succeeded', 90_000);
    expect(done.attempt).toBeGreaterThanOrEqual(2);
    expect(second.stdout()).toMatch(/previous incarnation/);

    const attempts = (
      await request<{ items?: unknown[] } | { number: number; resumeStep: number | null }[]>(
        `${e2eApi().url}/v1/runs/${id}/attempts`,
        { headers: e2eApi().authHeaders },
      )
    ).body;
    const list = (Array.isArray(attempts) ? attempts : attempts.items) as {
      number: number;
      resumeStep: number | null;
    }[];
    expect(list.at(-1)?.resumeStep ?? 0).toBeGreaterThan(0);

    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
  });

  it('resumes on another host from the last checkpoint when agents share AGENT_RUNS_DIR; each step stored once', async () => {
    const knobs = { FAKE_PRIME_RL_STEP_SECONDS: '1', AGENT_RUNS_DIR: tempDir() };
    const hostA = tempDir();
    const first = startAgent('e2e-host-a', 1, knobs, hostA);
    const id = await submit('e2e-host-lost');
    await untilStep(id, 1);
    // Host A is lost for good: its agent and everything it started die at once, and it never
    // comes back to clean up. Host B (its own work dir) shares only the runs directory.
    const { pgid } = recordedGroup(hostA, id)!;
    first.child.kill('SIGKILL');
    process.kill(-pgid, 'SIGKILL');
    await first.exited;

    startAgent('e2e-host-b', 1, knobs, tempDir());
    const done = await untilStatus(id, 'succeeded', 90_000);
    expect(done.attempt).toBe(2);
    expect(await eventTypes(id)).not.toContain('checkpoint-not-reachable');
    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
  });

  it('never runs more 1-GPU runs at once than the agent has GPUs, and never places a run that cannot fit', async () => {
    const smiCalls = join(tempDir(), 'nvidia-smi-calls');
    startAgent('e2e-pair', 2, { FAKE_PRIME_RL_STEP_SECONDS: '0.5', FAKE_NVIDIA_SMI_CALL_LOG: smiCalls });
    const tooBig = await submit('e2e-too-big', {}, { gpuCount: 3 });
    const ids = await Promise.all(['a', 'b', 'c'].map((suffix) => submit(`e2e-pair-${suffix}`)));
    let most = 0;
    await waitFor(
      async () => {
        const views = await Promise.all(ids.map(run));
        const running = views.filter((view) => view.status === 'running').length;
        most = Math.max(most, running);
        return views.every((view) => view.status === 'succeeded');
      },
      { timeoutMs: 90_000, intervalMs: 100, what: 'three runs succeeded' },
    );
    expect(most).toBe(2);
    // Each at its first attempt: two runs side by side on one host don't get in each other's way
    // (each vLLM on a port of its own; on prime-rl's shared default the second one fails).
    expect((await Promise.all(ids.map(run))).map((view) => view.attempt)).toEqual([1, 1, 1]);
    // The jobs handed back while both GPUs were reserved (the third run's, and the 3-GPU one every
    // 300 ms) were turned away without reading GPU processes: about one read per run placed. The
    // reads went through the agent's NVML reader (one line per GPU read), none through nvidia-smi.
    const calls = readFileSync(smiCalls, 'utf8').split('\n');
    expect(calls.filter((line) => line.startsWith('--query-compute-apps'))).toEqual([]);
    const reads = calls.filter((line) => line === 'nvml:processes 0');
    expect(reads.length).toBeGreaterThanOrEqual(ids.length);
    expect(reads.length).toBeLessThanOrEqual(ids.length + 3);
    expect((await run(tooBig)).status).toBe('queued');
  });
  it('takes no GPU run on a host where prime-rl cannot start, and says why; a host that can takes it', async () => {
    const broken = startAgent('e2e-no-prime-rl', 1, { UV_BIN: join(tempDir(), 'no-uv-here') });
    const id = await submit('e2e-no-prime-rl');
    await waitFor(() => Promise.resolve(/prime-rl cannot run on this host/.test(broken.stdout())), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: 'the boot warning',
    });
    await sleep(2_000); // several hand-backs
    expect(await run(id)).toMatchObject({ status: 'queued', attempt: 0 });
    expect(broken.stdout()).toMatch(/no-uv-here --version` failed/);

    startAgent('e2e-with-prime-rl', 1);
    expect((await untilStatus(id, 'succeeded', 60_000)).attempt).toBe(1);
  });

  it('spools rollouts on disk while the API cannot take them and delivers them all afterwards', async () => {
    // Only the ingestion route is cut: heartbeats go on, so the outage may outlast the lease
    // timeout (3 s here) and the run stays on its first attempt, whose spool is the one looked at.
    const proxy = await openRouteBlockingProxy();
    const workDir = tempDir();
    startAgent('e2e-spool', 1, { FAKE_PRIME_RL_STEP_SECONDS: '0.4' }, workDir, proxy.url);
    proxy.block(/^\/v1\/runs\/[^/]+\/rollouts$/);
    const id = await submit('e2e-spool');
    await untilStatus(id, 'running', 30_000);
    const spool = join(workDir, 'runs', id, 'attempt-1', 'spool');
    await explained(
      waitFor(() => Promise.resolve(existsSync(spool) && readdirSync(spool).length >= 2), {
        timeoutMs: 30_000,
        intervalMs: 50,
        what: 'batches waiting in the spool',
      }),
    );
    proxy.block(null);
    const succeeded = await untilStatus(id, 'succeeded', 60_000);
    expect(succeeded.attempt).toBe(1);
    expect(proxy.dropped).toBeGreaterThan(0);
    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
    expect(readdirSync(spool)).toEqual([]);
  });

  it('two agents and a mix of 1- and 2-GPU runs: no GPU is ever leased to two runs at once', async () => {
    startAgent('e2e-mix-a', 2, { FAKE_PRIME_RL_STEP_SECONDS: '0.3' });
    startAgent('e2e-mix-b', 2, { FAKE_PRIME_RL_STEP_SECONDS: '0.3' });
    const ids = await Promise.all([
      submit('e2e-mix-2a', {}, { gpuCount: 2 }),
      submit('e2e-mix-1a'),
      submit('e2e-mix-2b', {}, { gpuCount: 2 }),
      submit('e2e-mix-1b'),
      submit('e2e-mix-1c'),
    ]);
    for (const id of ids) await untilStatus(id, 'succeeded', 90_000);
    expect((await Promise.all(ids.map(run))).map((view) => view.attempt)).toEqual([1, 1, 1, 1, 1]);

    const client = new pg.Client({ connectionString: e2eApi().db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{
        run_id: string;
        agent_id: string;
        gpu: number;
        started: Date;
        finished: Date;
      }>(
        `SELECT t.run_id, t.agent_id, g.gpu, t.started_at AS started, t.finished_at AS finished
         FROM run_attempts t CROSS JOIN LATERAL unnest(t.gpu_indices) AS g(gpu)
         WHERE t.run_id = ANY($1::uuid[])`,
        [ids],
      );
      expect(new Set(rows.map((row) => row.agent_id)).size).toBe(2);
      const overlaps = rows.flatMap((a) =>
        rows.filter(
          (b) =>
            a.run_id < b.run_id &&
            a.agent_id === b.agent_id &&
            a.gpu === b.gpu &&
            a.started < b.finished &&
            b.started < a.finished,
        ),
      );
      expect(overlaps).toEqual([]);
    } finally {
      await client.end();
    }
  });
  it('evaluates a trained checkpoint: serves it on a reserved GPU, asks k samples per question, stores them', async () => {
    const workDir = tempDir();
    startAgent('e2e-eval', 1, {}, workDir);
    const trained = await submit('e2e-eval-source', { maxSteps: 2 });
    await untilStatus(trained, 'succeeded');

    const answer = await request<RunView>(`${e2eApi().url}/v1/runs`, {
      headers: e2eApi().authHeaders,
      method: 'POST',
      json: {
        preset: 'eval-boolq-validation',
        name: 'e2e-eval',
        spec: {
          target: { checkpoint: { runId: trained, step: 2 } },
          dataset: { name: 'boolq', split: 'validation', seed: 7, limit: 12 },
          samplesPerQuestion: 3,
          concurrency: 4,
        },
      },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    await untilStatus(answer.body.id, 'succeeded');
    const steps = await metrics(answer.body.id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([[0, 36]]);
    // The server ran from the checkpoint's weights and was stopped with the run.
    const serverLog = readFileSync(
      join(workDir, 'runs', answer.body.id, 'attempt-1', 'inference', 'inference.stdout'),
      'utf8',
    );
    expect(serverLog).toContain(join(workDir, 'runs', trained, 'rl', 'weights', 'step_2'));
  });
});
