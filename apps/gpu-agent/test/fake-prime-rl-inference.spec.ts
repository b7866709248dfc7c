import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

import { freeLocalPort } from '../src/net/free-port.js';
import { ClassicV040Adapter } from '../src/prime-rl/classic-v0-4.adapter.js';
import { Main559b447Adapter } from '../src/prime-rl/main-559b447.adapter.js';

// The fake `uv run inference` (test/fixtures/fake-prime-rl) as the agent starts it: the classic
// adapter's arguments and environment, its own process group.
const UV = fileURLToPath(new URL('./fixtures/fake-prime-rl/uv', import.meta.url));
const adapter = new ClassicV040Adapter();
const DEADLINE_MS = 15_000;
const MODEL = 'google/gemma-2-2b-it';

const children: ResultPromise[] = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone: nothing to clean up
    }
  }
});

function start(args: string[], env: Record<string, string> = {}) {
  const child = execa(UV, args, {
    env: { UV_NO_SYNC: '1', ...env },
    detached: true,
    reject: false,
    stdin: 'ignore',
    timeout: DEADLINE_MS,
  });
  children.push(child);
  return child;
}

async function serverOn(knobs: Record<string, string> = {}) {
  const port = await freeLocalPort();
  const launch = adapter.buildInferenceServer({ model: MODEL, gpuIds: [1], port, runDir: '/unused' });
  const child = start(launch.args, { ...launch.env, ...knobs });
  return { child, origin: `http://127.0.0.1:${port}` };
}

/** Poll /health (sleeping between tries) until it answers 200; fail after the deadline. */
async function healthy(origin: string, deadlineMs = 5_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    const ok = await fetch(`${origin}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`${origin} not healthy within ${deadlineMs} ms`);
}

async function chat(origin: string, body: Record<string, unknown>) {
  const response = await fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      choices: Array<{ index: number; message: { content: string }; finish_reason: string }>;
      error?: { message: string };
    },
  };
}

const question = (text: string) => [{ role: 'user', content: `Read the passage below.\nQuestion: ${text}?` }];

describe('fake prime-rl inference: the CLI', () => {
  it('refuses an unknown flag as vLLM would (exit 2), HEAD-style flags included', async () => {
    const result = await start(['run', '--no-sync', 'inference', '--vllm.model', MODEL]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('inference: error: unrecognized arguments: --vllm.model');
  });

  it('refuses a value of the wrong type as pydantic would (exit 1)', async () => {
    const result = await start(['run', '--no-sync', 'inference', '--server.port', 'eighty']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/ValidationError[\s\S]*server\.port/);
  });

  it('refuses to run without --no-sync, and refuses a bad knob', async () => {
    expect((await execa(UV, ['run', 'inference'], { reject: false, env: { UV_NO_SYNC: '' } })).exitCode).toBe(
      2,
    );
    const knob = await start(['run', '--no-sync', 'inference'], {
      FAKE_PRIME_RL_INFERENCE_FAIL: 'sometimes',
    });
    expect(knob.exitCode).toBe(2);
    expect(knob.stderr).toContain('FAKE_PRIME_RL_INFERENCE_FAIL must be one of');
  });
});

describe('fake prime-rl inference as main-559b447', () => {
  const MAIN = { FAKE_PRIME_RL_VERSION: 'main-559b447' };

  it("serves on the main adapter's flags (--vllm.*, --no-router) and refuses v0.4.0's", async () => {
    const port = await freeLocalPort();
    const launch = new Main559b447Adapter().buildInferenceServer({
      model: MODEL,
      gpuIds: [1, 2],
      port,
      runDir: '/unused',
    });
    const child = start(launch.args, { ...launch.env, ...MAIN });
    const origin = `http://127.0.0.1:${port}`;
    await healthy(origin);
    const models = (await (await fetch(`${origin}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((model) => model.id)).toEqual([launch.servedModel]);
    expect(
      (await chat(origin, { model: MODEL, messages: question('Is it so'), n: 2 })).body.choices,
    ).toHaveLength(2);
    process.kill(-child.pid!, 'SIGINT');
    expect((await child).exitCode).toBe(0);

    const classic = await start(['run', '--no-sync', 'inference', '--model.name', MODEL], MAIN);
    expect(classic.exitCode).toBe(2);
    expect(classic.stderr).toContain('inference: error: unrecognized arguments: --model.name');
  });
});

describe('fake prime-rl inference: the server', () => {
  it('binds only after loading, then serves vLLM-shaped answers, deterministic per prompt and choice', async () => {
    const { child, origin } = await serverOn({ FAKE_PRIME_RL_INFERENCE_STARTUP_SECONDS: '0.6' });
    expect(await healthy(origin)).toBeGreaterThanOrEqual(500);
    const models = (await (await fetch(`${origin}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((model) => model.id)).toEqual([MODEL]);

    const request = { model: MODEL, messages: question('is the sky blue'), n: 4, max_tokens: 512 };
    const first = await chat(origin, request);
    const second = await chat(origin, request);
    expect(first.status).toBe(200);
    expect(first.body.choices.map((choice) => choice.index)).toEqual([0, 1, 2, 3]);
    expect(second.body.choices).toEqual(first.body.choices);
    expect(new Set(first.body.choices.map((choice) => choice.message.content)).size).toBeGreaterThan(1);

    const short = await chat(origin, { ...request, n: 24, max_tokens: 40 });
    const cut = short.body.choices.filter((choice) => choice.finish_reason === 'length');
    expect(cut.length).toBeGreaterThan(0);
    for (const choice of short.body.choices) expect(choice.message.content.length).toBeLessThanOrEqual(160);

    const unknown = await chat(origin, { ...request, model: 'other/model' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.message).toBe('The model `other/model` does not exist.');

    process.kill(-child.pid!, 'SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('Application shutdown complete.');
    expect(result.stdout).toContain('CUDA_VISIBLE_DEVICES=1');
  });

  it('answers 500 to every request with FAKE_PRIME_RL_INFERENCE_FAIL=500, and exits on SIGTERM', async () => {
    const { child, origin } = await serverOn({ FAKE_PRIME_RL_INFERENCE_FAIL: '500' });
    await healthy(origin);
    const answer = await chat(origin, { model: MODEL, messages: question('is it') });
    expect(answer.status).toBe(500);
    process.kill(-child.pid!, 'SIGTERM');
    expect((await child).exitCode).toBe(0);
  });
});
