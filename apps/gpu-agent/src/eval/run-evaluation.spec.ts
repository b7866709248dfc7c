import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { renderPrompt, scoreCompletion } from '@brier/calibration';
import { loadBundledValidation, sample } from '@brier/boolq';
import { parseRunRequest, type EvalSpecDto } from '@brier/contracts';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ClassicV040Adapter } from '../prime-rl/classic-v0-4.adapter.js';
import type { EvalModel, LaunchServer, ServerExit, ServerHandle, ServerStopReason } from './eval-ports.js';
import type { EvalRecord } from './eval-record.js';
import { EvaluationError } from './evaluation-error.js';
import { planEvaluation } from './eval-plan.js';
import { freeLocalPort } from '../net/free-port.js';
import { hostEnvironment } from './inference-server.js';
import { loadPromptTemplate } from './prompt-template-file.js';
import { runEvaluation, type RunEvaluationOptions } from './run-evaluation.js';

// runEvaluation against the fake prime-rl inference server (test/fixtures/fake-prime-rl), started
// through `uv` with the classic adapter's arguments, in its own process group, by a small execa
// launcher standing in for the process layer's ProcessGroup.
const UV = fileURLToPath(new URL('../../test/fixtures/fake-prime-rl/uv', import.meta.url));
const adapter = new ClassicV040Adapter();
const PROCESS_DEADLINE_MS = 30_000;

interface TestServer extends ServerHandle {
  pid: number;
  stops: ServerStopReason[];
  done: () => boolean;
}

const launched: TestServer[] = [];
const cleanups: Array<() => void> = [];
/** The port a test's server listens on: a free one per test, as the agent's LocalPortBook gives. */
let serverPort = 0;
beforeEach(async () => {
  serverPort = await freeLocalPort();
});
afterEach(() => {
  for (const server of launched.splice(0)) killGroup(server.pid, 'SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** ProcessGroup's shape: detached (own group), argument array, console to files; stop = INT, then KILL. */
const launchServer: LaunchServer = (launch) => {
  const child = execa(launch.command, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    extendEnv: false, // as ProcessGroup: the launch's environment is the whole environment
    detached: true,
    reject: false,
    stdin: 'ignore',
    stdout: { file: launch.stdoutPath },
    stderr: { file: launch.stderrPath },
    timeout: PROCESS_DEADLINE_MS,
  });
  let finished = false;
  const exited: Promise<ServerExit> = child.then((result) => {
    finished = true;
    return { exitCode: result.exitCode ?? null, signal: result.signal ?? null };
  });
  const pid = child.pid!;
  const server: TestServer = {
    pid,
    stops: [],
    exited,
    done: () => finished,
    async stop(reason, graceMs) {
      server.stops.push(reason);
      killGroup(pid, 'SIGINT');
      const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!gone) killGroup(pid, 'SIGKILL');
      return exited;
    },
  };
  launched.push(server);
  return Promise.resolve(server);
};

function evalSpec(spec: Record<string, unknown> = {}): EvalSpecDto {
  const result = parseRunRequest({
    preset: 'eval-boolq-validation',
    spec: { dataset: { limit: 12, seed: 5 }, samplesPerQuestion: 3, concurrency: 4, ...spec },
  });
  if (!result.ok || result.value.kind !== 'eval') throw new Error(JSON.stringify(result));
  return result.value.spec;
}

function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'brier-eval-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function collectingSink() {
  const lines: string[] = [];
  const flushes: number[] = [];
  return {
    lines,
    flushes,
    records: () => lines.map((line) => JSON.parse(line) as EvalRecord),
    push: (line: string) => lines.push(line),
    flush: (deadlineMs: number) => {
      flushes.push(deadlineMs);
      return Promise.resolve();
    },
  };
}

function options(
  overrides: Partial<RunEvaluationOptions> & { knobs?: Record<string, string> } = {},
): RunEvaluationOptions & { sink: ReturnType<typeof collectingSink>; logs: string[] } {
  const dir = overrides.runDir ?? runDir();
  const logs: string[] = [];
  const { knobs, ...rest } = overrides;
  return {
    spec: evalSpec(),
    runId: 'e1',
    runDir: dir,
    gpuIds: [3],
    model: { kind: 'serve', modelNameOrPath: 'google/gemma-2-2b-it' },
    adapter,
    primeRlDir: dir,
    uvCommand: UV,
    launchServer,
    serverPort,
    signal: new AbortController().signal,
    healthDeadlineMs: 15_000,
    requestTimeoutMs: 5_000,
    log: (line) => logs.push(line),
    retry: { attempts: 3, retryDelayMs: 20 },
    healthPollMs: 50,
    stopGraceMs: 3_000,
    serverEnvironment: (adapterEnv) => ({ ...hostEnvironment(adapterEnv), ...knobs }),
    ...rest,
    sink: (rest.sink as ReturnType<typeof collectingSink> | undefined) ?? collectingSink(),
    logs,
  };
}

async function failure(promise: Promise<unknown>): Promise<EvaluationError> {
  const error = await promise.then(
    () => new Error('the evaluation succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EvaluationError);
  return error as EvaluationError;
}

describe('runEvaluation: a server of its own', () => {
  it('asks every question k times and ships the records in question then sample order', async () => {
    const run = options();
    const summary = await runEvaluation(run);

    expect(summary).toMatchObject({ questions: 12, rollouts: 36, failedRequests: 0 });
    const records = run.sink.records();
    expect(records.map((r) => r.index)).toEqual([...Array(36).keys()]);
    const { examples } = await loadBundledValidation();
    const asked = sample(examples, 12, 5);
    expect(records.map((r) => r.example_id)).toEqual(asked.flatMap((e) => [e.id, e.id, e.id]));
    const template = await loadPromptTemplate('boolq-passage-v1');
    const spec = run.spec;
    records.forEach((record, i) => {
      const example = asked[Math.floor(i / 3)]!;
      expect(record.full_prompt).toBe(`[user] ${renderPrompt(template, example)}\n`);
      expect(record.ground_truth).toBe(example.answer ? 'true' : 'false');
      expect(record.step).toBe(0);
      const completion = record.full_completion.slice('[assistant] '.length, -1);
      const score = scoreCompletion(completion, record.ground_truth, spec.reward);
      expect([record.p_yes, record.brier_score, record.reward, record.parseable]).toEqual([
        score.pYes,
        score.brier,
        score.reward,
        score.parseable,
      ]);
    });
    // The fake's mix: most answers parse, some do not (no answer line, cut at max_tokens).
    expect(records.some((r) => r.parseable)).toBe(true);
    expect(records.some((r) => !r.parseable)).toBe(true);
    expect(run.sink.flushes).toHaveLength(1);

    const [server] = launched;
    expect(server!.stops).toEqual(['shutdown']);
    expect(server!.done()).toBe(true);
    const console = readFileSync(join(run.runDir, 'inference', 'inference.stdout'), 'utf8');
    expect(console).toContain('CUDA_VISIBLE_DEVICES=3');

    // The same spec gives the same lines, however many requests are in flight.
    const again = options({ spec: evalSpec({ concurrency: 1 }) });
    const plan = await planEvaluation(again.spec);
    expect(plan.rollouts).toBe(36);
    await runEvaluation({ ...again, plan });
    expect(again.sink.lines).toEqual(run.sink.lines);
  });

  it('collects k samples from a server that returns fewer choices, through transient 500s', async () => {
    // One request at a time: every 4th fails, so each retry lands on a request that succeeds.
    const run = options({
      spec: evalSpec({ concurrency: 1, dataset: { limit: 6, seed: 5 } }),
      knobs: { FAKE_PRIME_RL_INFERENCE_MAX_CHOICES: '1', FAKE_PRIME_RL_INFERENCE_FLAKY_EVERY: '4' },
    });
    const summary = await runEvaluation(run);
    expect(summary).toMatchObject({ questions: 6, rollouts: 18, failedRequests: 0 });
    expect(run.sink.records().map((r) => r.index)).toEqual([...Array(18).keys()]);
    const access = readFileSync(join(run.runDir, 'inference', 'inference.stdout'), 'utf8');
    expect(access.match(/POST \/v1\/chat\/completions HTTP\/1\.1" 500/g)?.length).toBeGreaterThan(0);
  });

  it('fails clearly when the server is not healthy by the deadline, and stops it', async () => {
    const run = options({ healthDeadlineMs: 800, knobs: { FAKE_PRIME_RL_INFERENCE_FAIL: 'hang' } });
    const error = await failure(runEvaluation(run));
    expect(error.code).toBe('server-not-ready');
    expect(error.message).toMatch(/inference server was not ready within 1 s.*ECONNREFUSED/);
    expect(launched[0]!.stops).toEqual(['timeout']);
    expect(launched[0]!.done()).toBe(true);
    expect(run.sink.lines).toEqual([]);
    expect(run.sink.flushes).toEqual([]);
  });

  it('fails at once with the exit code and stderr when the server dies while loading', async () => {
    const started = Date.now();
    const run = options({ knobs: { FAKE_PRIME_RL_INFERENCE_FAIL: 'crash' } });
    const error = await failure(runEvaluation(run));
    expect(error.code).toBe('server-exited');
    expect(error.message).toMatch(/exited with code 1; end of stderr:\n[\s\S]*OutOfMemoryError/);
    expect(Date.now() - started).toBeLessThan(10_000); // not the 15 s health deadline
  });

  it('fails when the server dies in the middle of the questions', async () => {
    const run = options({
      spec: evalSpec({ concurrency: 2 }),
      knobs: { FAKE_PRIME_RL_INFERENCE_CRASH_AFTER: '4' },
    });
    const error = await failure(runEvaluation(run));
    expect(error.code).toBe('server-exited');
    expect(error.message).toMatch(/exited with code 1[\s\S]*EngineDeadError/);
    expect(run.sink.lines.length).toBeLessThan(36);
  });

  it('fails when too many questions get no answer (a server answering 500)', async () => {
    const run = options({
      retry: { attempts: 2, retryDelayMs: 10 },
      knobs: { FAKE_PRIME_RL_INFERENCE_FAIL: '500' },
    });
    const error = await failure(runEvaluation(run));
    expect(error.code).toBe('too-many-failures');
    expect(error.message).toMatch(
      /1 of 12 questions got no answer after retries \(at most 0 may\).*HTTP 500/s,
    );
    expect(run.logs.some((line) => /question \d+ \(boolq-[0-9a-f]{16}\) got no answer/.test(line))).toBe(
      true,
    );
    expect(launched[0]!.done()).toBe(true);
  });

  it('stops promptly when cancelled mid-way, aborting requests in flight, and stops the server', async () => {
    const controller = new AbortController();
    const run = options({
      signal: controller.signal,
      knobs: { FAKE_PRIME_RL_INFERENCE_REQUEST_SECONDS: '20' },
    });
    let abortedAt = 0;
    const log = run.log;
    run.log = (line) => {
      log(line);
      if (line.includes('ready after')) {
        setTimeout(() => {
          abortedAt = Date.now();
          controller.abort('revoked');
        }, 300);
      }
    };
    const error = await failure(runEvaluation(run));
    expect(error.code).toBe('cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(3_000);
    expect(launched[0]!.stops).toEqual(['revoked']);
    expect(launched[0]!.done()).toBe(true);
    expect(run.sink.lines).toEqual([]);
  });
});

describe('runEvaluation: an endpoint', () => {
  const refuse: LaunchServer = () =>
    Promise.reject(new Error('an endpoint evaluation must not start a server'));

  /** The fake server started by the test, as a host would have it running already. */
  async function runningEndpoint(): Promise<{ baseUrl: string; dir: string }> {
    const dir = runDir();
    const port = await freeLocalPort();
    const launch = adapter.buildInferenceServer({
      model: 'google/gemma-2-2b-it',
      gpuIds: [0],
      port,
      runDir: dir,
    });
    mkdirSync(join(dir, 'inference'));
    const { args, env, stdoutPath, stderrPath } = launch;
    await launchServer({ command: UV, args, cwd: dir, env: hostEnvironment(env), stdoutPath, stderrPath });
    return { baseUrl: `http://127.0.0.1:${port}/v1`, dir };
  }

  it('asks an endpoint that is already up, without starting anything', async () => {
    const { baseUrl, dir } = await runningEndpoint();
    const model: EvalModel = { kind: 'endpoint', baseUrl, model: 'google/gemma-2-2b-it' };
    const run = options({ model, launchServer: refuse, runDir: dir });
    const summary = await runEvaluation(run);
    expect(summary).toMatchObject({ questions: 12, rollouts: 36, failedRequests: 0 });
    expect(run.sink.records().map((r) => r.index)).toEqual([...Array(36).keys()]);
    expect(launched).toHaveLength(1); // the test's own server only
    expect(launched[0]!.done()).toBe(false);
  });

  it('fails clearly when the endpoint does not serve the model', async () => {
    const { baseUrl } = await runningEndpoint();
    const run = options({ model: { kind: 'endpoint', baseUrl, model: 'other/model' }, launchServer: refuse });
    const error = await failure(runEvaluation(run));
    expect(error.code).toBe('server-not-ready');
    expect(error.message).toContain('does not list model "other/model" (it lists "google/gemma-2-2b-it")');
  });
});
