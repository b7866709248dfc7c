import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { request, waitFor } from '../../api/test/support/runs-fixtures.js';
import { tempDir } from './support/agent-process.js';
import {
  e2eApi,
  metrics,
  run,
  startAgent,
  submit,
  untilStatus,
  untilStep,
  useE2eApi,
  type CheckpointView,
  type Page,
} from './support/e2e-harness.js';

useE2eApi();

// prime-rl main (559b447): the same agent with PRIME_RL_VERSION=main-559b447 and the fake acting as
// main (run directory output_dir/<run.name>, logs/latest, 1-indexed head step lines, the verifiers
// v1 taskset writing the rollout log, --resume.step). main needs 2 GPUs (vLLM and the trainer apart).
describe('gpu-agent end to end on prime-rl main-559b447', { timeout: 150_000 }, () => {
  const MAIN = { PRIME_RL_VERSION: 'main-559b447', FAKE_PRIME_RL_VERSION: 'main-559b447' };
  const mainSpec = { primeRl: { version: 'main-559b447' } };

  it('trains smoke-tiny: every step and its rollouts stored, checkpoints reported, run succeeded', async () => {
    const workDir = tempDir();
    startAgent('e2e-main', 2, MAIN, workDir);
    const id = await submit('e2e-main', mainSpec, { gpuCount: 2 });
    await untilStatus(id, 'succeeded', 30_000);

    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
    expect(
      steps.every((step) => step.orchestrator_reward !== null),
      JSON.stringify(steps),
    ).toBe(true);
    expect((await run(id)).progressStep).toBe(4);

    const checkpoints = (
      await request<CheckpointView[] | Page<CheckpointView>>(`${e2eApi().url}/v1/runs/${id}/checkpoints`, {
        headers: e2eApi().authHeaders,
      })
    ).body;
    const list = Array.isArray(checkpoints) ? checkpoints : checkpoints.items;
    expect(
      list
        .filter((c) => c.kind === 'trainer' && c.complete)
        .map((c) => c.step)
        .sort((a, b) => a - b),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(list.filter((c) => c.kind === 'weights')).toEqual([]);
    const toml = readFileSync(join(workDir, 'runs', id, 'rl.toml'), 'utf8');
    expect(toml).toContain('[[orchestrator.train.source]]');
    expect(existsSync(join(workDir, 'runs', id, 'rl', 'brier', 'logs', 'latest', 'orchestrator.log'))).toBe(
      true,
    );
  });

  it('runs two training runs side by side on a 4-GPU host, each on ports of its own, both at their first attempt', async () => {
    startAgent('e2e-main-pair', 4, { ...MAIN, FAKE_PRIME_RL_STEP_SECONDS: '0.3' }, tempDir());
    const ids = await Promise.all(
      ['a', 'b'].map((suffix) => submit(`e2e-main-pair-${suffix}`, mainSpec, { gpuCount: 2 })),
    );
    let most = 0;
    await waitFor(
      async () => {
        const views = await Promise.all(ids.map(run));
        most = Math.max(most, views.filter((view) => view.status === 'running').length);
        return views.every((view) => view.status === 'succeeded');
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'both runs succeeded' },
    );
    // With main's fixed ports (router 8000, NCCL 29501, …) the second launch would fail to bind.
    expect(most).toBe(2);
    expect((await Promise.all(ids.map(run))).map((view) => view.attempt)).toEqual([1, 1]);
  });

  it('resumes a run whose agent was killed -9 with --resume.step, every step stored exactly once', async () => {
    const workDir = tempDir();
    const knobs = { ...MAIN, FAKE_PRIME_RL_STEP_SECONDS: '1' };
    const first = startAgent('e2e-main-crash', 2, knobs, workDir);
    const id = await submit('e2e-main-crash', mainSpec, { gpuCount: 2 });
    await untilStep(id, 1);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = startAgent('e2e-main-crash', 2, knobs, workDir);
    const done = await untilStatus(id, 'succeeded', 90_000);
    expect(done.attempt).toBeGreaterThanOrEqual(2);
    expect(second.stdout()).toMatch(/previous incarnation/);
    const attempts = (
      await request<{ items?: unknown[] } | { number: number; resumeStep: number | null }[]>(
        `${e2eApi().url}/v1/runs/${id}/attempts`,
        { headers: e2eApi().authHeaders },
      )
    ).body;
    const list = (Array.isArray(attempts) ? attempts : attempts.items) as { resumeStep: number | null }[];
    expect(list.at(-1)?.resumeStep ?? 0).toBeGreaterThan(0);
    const steps = await metrics(id);
    expect(steps.map((step) => [step.step, step.n])).toEqual([0, 1, 2, 3, 4].map((step) => [step, 64]));
    // The resumed launch logged into a new attempt directory, where logs/latest now points.
    const logs = join(workDir, 'runs', id, 'rl', 'brier', 'logs');
    expect(existsSync(join(logs, 'latest', 'orchestrator.log'))).toBe(true);
    expect(readFileSync(join(logs, 'latest', 'orchestrator.log'), 'utf8')).toContain(
      'Resuming orchestrator from checkpoint step',
    );
  });
});
