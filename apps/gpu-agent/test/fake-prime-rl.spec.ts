import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { scoreCompletion } from '@brier/calibration';
import { parse, stringify } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { freeLocalPort } from '../src/net/free-port.js';
import { ClassicV040Adapter } from '../src/prime-rl/classic-v0-4.adapter.js';
import type { PrimeRlLaunch, PrimeRlRun } from '../src/prime-rl/prime-rl-adapter.js';
import {
  killGroup,
  liveMembers,
  parseLog,
  readGenerations,
  smokeSpec,
  startFake,
  tempRunDir,
  waitFor,
  type GenerationLine,
} from './support/fake-prime-rl-driver.js';

// The fake prime-rl (test/fixtures/fake-prime-rl) driven the way the agent will drive the real
// one: a config from the classic adapter, `uv <args>` with the adapter's environment, in its own
// process group.
const adapter = new ClassicV040Adapter();

const cleanups: Array<() => void> = [];
/** Each test's classic fake binds its vLLM port, as the real server does: a free one per test. */
let inferencePort = 0;
beforeEach(async () => {
  inferencePort = await freeLocalPort();
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function runDir(): string {
  return tempRunDir(cleanups);
}

/** The adapter's launch for `run`, its config written where its args say. */
function prepare(run: Partial<PrimeRlRun> & { runDir: string }): PrimeRlLaunch {
  const launch = adapter.buildConfig({
    spec: smokeSpec(),
    gpuIds: [2],
    ports: { inference: inferencePort },
    envLogPath: join(run.runDir, 'attempt-1.jsonl'),
    startStep: 0,
    ...run,
  });
  writeFileSync(launch.configPath, launch.toml);
  return launch;
}

/** `uv <args>` as the agent will run it: argument array, own process group, no shell. */
function start(launch: PrimeRlLaunch, knobs: Record<string, string> = {}, args = launch.args) {
  return startFake(launch, knobs, args, cleanups);
}

/** Resolves once `text` shows on the child's stdout. */
async function waitForOutput(child: ReturnType<typeof start>, text: string): Promise<void> {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(() => out.includes(text), `"${text}" on stdout`);
}

describe('the fake prime-rl: a whole run', () => {
  it('runs smoke-tiny: max_steps steps on stdout and in logs/orchestrator.stdout, the real env log, checkpoints', async () => {
    const dir = runDir();
    const launch = prepare({ runDir: dir });
    const result = await start(launch);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);

    for (const text of [result.stdout, readFileSync(launch.layout.orchestratorLog, 'utf8')]) {
      const log = parseLog(text);
      expect(log.format).toBe('classic');
      expect(log.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);
      expect(log.maxSteps).toBe(5);
      expect(log.finished).toBe(true);
      expect(log.failures).toEqual([]);
      expect(log.steps.every((s) => s.format === 'classic' && s.asyncLevel === 0 && s.seqLength > 0)).toBe(
        true,
      );
    }
    expect(parseLog(result.stdout).unknownLineCount).toBe(0);
    expect(result.stdout).toContain('\rGenerating rollouts (train):  25%');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(
      /^\d\d:\d\d:\d\d SUCCESS RL training finished!$/,
    );

    const records = readGenerations(join(dir, 'attempt-1.jsonl'));
    expect(records).toHaveLength(64 * 5);
    expect(records.map((r) => r.index)).toEqual(records.map((_, i) => i));
    expect(records.map((r) => r.step)).toEqual(records.map((_, i) => Math.floor(i / 64)));
    for (const record of records) {
      const completion = record.full_completion.replace(/^\[assistant\] /, '').replace(/\n$/, '');
      const score = scoreCompletion(completion, record.ground_truth, {
        maxTokens: 512,
        lowFraction: 0.2,
        highFraction: 0.8,
      });
      expect(record.reward).toBe(score.reward);
      expect(record.parseable).toBe(score.parseable);
    }
    // Varied like a real policy: some unparseable, some penalised for length, 8 per question.
    expect(records.filter((r) => !r.parseable).length).toBeGreaterThan(5);
    expect(records.filter((r) => r.length_penalty < 0).length).toBeGreaterThan(5);
    const perQuestion = new Map<string, number>();
    for (const r of records.filter((r) => r.step === 0))
      perQuestion.set(r.example_id, (perQuestion.get(r.example_id) ?? 0) + 1);
    expect([...perQuestion.values()]).toEqual(Array(8).fill(8));

    // smoke-tiny checkpoints every step: step_N = N steps done, the final one included.
    for (let step = 1; step <= 5; step += 1) {
      expect(existsSync(join(launch.layout.checkpointsDir, `step_${step}`, 'trainer', '.metadata'))).toBe(
        true,
      );
      expect(existsSync(join(launch.layout.weightsDir!, `step_${step}`, 'STABLE'))).toBe(true);
    }
    expect(readFileSync(launch.layout.inferenceLog, 'utf8')).toContain(
      '[fake] CUDA_VISIBLE_DEVICES=2 (launcher had 2)',
    );
  });

  it('is deterministic per seed: a second run writes the same rollouts', async () => {
    const [a, b] = [runDir(), runDir()];
    await start(prepare({ runDir: a, spec: smokeSpec({ maxSteps: 2 }) }));
    await start(prepare({ runDir: b, spec: smokeSpec({ maxSteps: 2 }) }));
    const strip = (r: GenerationLine) => [r.index, r.step, r.example_id, r.full_completion, r.reward];
    expect(readGenerations(join(a, 'attempt-1.jsonl')).map(strip)).toEqual(
      readGenerations(join(b, 'attempt-1.jsonl')).map(strip),
    );
  });

  it('keeps the env log gapless and attributed when several worker processes write it', async () => {
    const dir = runDir();
    const launch = prepare({
      runDir: dir,
      spec: smokeSpec({ maxSteps: 3, batchSize: 128, rolloutsPerExample: 8 }),
    });
    const result = await start(launch, { FAKE_PRIME_RL_ENV_WORKERS: '4' });
    expect(result.exitCode).toBe(0);
    const records = readGenerations(join(dir, 'attempt-1.jsonl'));
    expect(records).toHaveLength(384);
    expect(records.map((r) => r.index)).toEqual(records.map((_, i) => i));
    expect(records.map((r) => r.step)).toEqual(records.map((_, i) => Math.floor(i / 128)));
    expect(new Set(records.map((r) => r.pid)).size).toBeGreaterThanOrEqual(4);
  });

  it('resumes from a checkpoint after a crash: --ckpt.resume-step N continues with step N', async () => {
    const dir = runDir();
    const first = await start(prepare({ runDir: dir }), { FAKE_PRIME_RL_CRASH_AT_STEP: '3' });
    expect(first.exitCode).toBe(1);
    const crashed = parseLog(first.stdout);
    expect(crashed.steps.map((s) => s.step)).toEqual([0, 1, 2]);
    expect(crashed.finished).toBe(false);
    expect(crashed.failures).toMatchObject([{ process: 'Trainer', exitCode: 1 }]);
    // Half of step 3 reached the log before the crash; checkpoint 3 (steps 0-2 done) is whole.
    expect(readGenerations(join(dir, 'attempt-1.jsonl'))).toHaveLength(3 * 64 + 32);
    expect(existsSync(join(dir, 'rl', 'checkpoints', 'step_3', 'trainer', '.metadata'))).toBe(true);
    expect(existsSync(join(dir, 'rl', 'checkpoints', 'step_4'))).toBe(false);

    const resumed = prepare({ runDir: dir, startStep: 3, envLogPath: join(dir, 'attempt-2.jsonl') });
    expect(resumed.args.slice(-2)).toEqual(['--ckpt.resume-step', '3']);
    const second = await start(resumed);
    expect(second.exitCode).toBe(0);
    const log = parseLog(second.stdout);
    expect(log.resumedFromStep).toBe(3);
    expect(log.steps.map((s) => s.step)).toEqual([3, 4]);
    expect(log.finished).toBe(true);
    const records = readGenerations(join(dir, 'attempt-2.jsonl'));
    expect(records).toHaveLength(2 * 64);
    expect(records.map((r) => r.step)).toEqual(records.map((_, i) => 3 + Math.floor(i / 64)));
  });

  it('fails a resume from a checkpoint that does not exist', async () => {
    const dir = runDir();
    const result = await start(prepare({ runDir: dir, startStep: 2 }));
    expect(result.exitCode).toBe(1);
    expect(parseLog(result.stdout).failures).toMatchObject([{ process: 'Trainer', exitCode: 1 }]);
    expect(readFileSync(join(dir, 'rl', 'logs', 'trainer.stdout'), 'utf8')).toContain(
      `FileNotFoundError: Checkpoint not found at ${join(dir, 'rl', 'checkpoints', 'step_2', 'trainer')}`,
    );
  });

  it("writes v0.4.0's own step line when asked, with throughput and no filter lines", async () => {
    const launch = prepare({ runDir: runDir(), spec: smokeSpec({ maxSteps: 2 }) });
    const result = await start(launch, { FAKE_PRIME_RL_LOG_FORMAT: 'v0.4.0', FAKE_PRIME_RL_COLOR: '1' });
    expect(result.stdout).toContain('\x1b[');
    const log = parseLog(result.stdout);
    expect(log.steps.map((s) => s.step)).toEqual([0, 1]);
    expect(
      log.steps.every((s) => s.format === 'classic' && s.throughput !== undefined && s.filtered === null),
    ).toBe(true);
  });

  it("shows the real launcher's console on request: no orchestrator step lines there", async () => {
    const launch = prepare({ runDir: runDir(), spec: smokeSpec({ maxSteps: 2 }) });
    const result = await start(launch, { FAKE_PRIME_RL_STDOUT: 'launcher' });
    expect(result.exitCode).toBe(0);
    const console = parseLog(result.stdout);
    expect(console.steps).toEqual([]);
    expect(console.finished).toBe(true);
    expect(result.stdout).toMatch(/SUCCESS Step 1 \| Time: [\d.]+s \| Loss: /);
    expect(parseLog(readFileSync(launch.layout.orchestratorLog, 'utf8')).steps).toHaveLength(2);
  });
});

describe("the fake prime-rl: vLLM's port", () => {
  it('holds it for the run: a second server on the same port fails as vLLM does, and so does the run', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(inferencePort, '127.0.0.1', resolve));
    cleanups.push(() => taken.close());
    const launch = prepare({ runDir: runDir() });
    const result = await start(launch);
    expect(result.exitCode).toBe(1);
    expect(readFileSync(launch.layout.inferenceLog, 'utf8')).toContain(
      'OSError: [Errno 98] Address already in use',
    );
    expect(result.stdout).toContain('Error: Inference failed with exit code 1');
  });

  it("fails the orchestrator when its client points at any server but the run's own", async () => {
    const elsewhere = await freeLocalPort();
    const dir = runDir();
    const launch = prepare({ runDir: dir });
    const config = parse(launch.toml) as { orchestrator: Record<string, unknown> };
    config.orchestrator['client'] = { base_url: [`http://127.0.0.1:${elsewhere}/v1`] };
    writeFileSync(launch.configPath, stringify(config));
    const result = await start(launch);
    expect(result.exitCode).toBe(1);
    expect(readFileSync(launch.layout.orchestratorLog, 'utf8')).toContain(
      `Inference server at http://127.0.0.1:${elsewhere}/v1 is not reachable`,
    );
    expect(existsSync(join(dir, 'attempt-1.jsonl'))).toBe(false);
  });
});

describe('the fake prime-rl: one GPU for vLLM and the trainer', () => {
  it("runs out of memory in the trainer when vLLM keeps the seed's 0.9 of the shared GPU", async () => {
    const launch = prepare({ runDir: runDir() });
    const config = parse(launch.toml) as { inference: Record<string, unknown> };
    expect(config.inference['gpu_memory_utilization']).toBe(0.5);
    config.inference['gpu_memory_utilization'] = 0.9;
    writeFileSync(launch.configPath, stringify(config));
    const result = await start(launch);
    expect(result.exitCode).toBe(1);
    expect(readFileSync(launch.layout.trainerLog, 'utf8')).toContain(
      'torch.OutOfMemoryError: CUDA out of memory',
    );
    expect(result.stdout).toContain('Error: Trainer failed with exit code 1');
  });
});

describe('the fake prime-rl: bad configs fail fast', () => {
  function withConfig(edit: (config: Record<string, unknown>) => void) {
    const dir = runDir();
    const launch = prepare({ runDir: dir });
    const config = parse(launch.toml) as Record<string, unknown>;
    edit(config);
    writeFileSync(launch.configPath, stringify(config));
    return { dir, launch };
  }

  it('refuses an unknown key with a pydantic error, before creating anything', async () => {
    const { dir, launch } = withConfig((config) => {
      (config['orchestrator'] as Record<string, unknown>)['group_size'] = 8;
      config['deployment'] = { num_infer_gpus: 1 };
    });
    const began = Date.now();
    const result = await start(launch);
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'pydantic_core._pydantic_core.ValidationError: 2 validation errors for RLConfig',
    );
    expect(result.stderr).toContain(
      '\norchestrator.group_size\n  Extra inputs are not permitted [type=extra_forbidden',
    );
    expect(result.stderr).toContain('\ndeployment\n  Extra inputs are not permitted');
    expect(existsSync(join(dir, 'rl'))).toBe(false);
    expect(existsSync(join(dir, 'attempt-1.jsonl'))).toBe(false);
  });

  it('refuses wrong types and a batch size that is not a multiple of rollouts_per_example', async () => {
    const types = await start(withConfig((config) => (config['max_steps'] = 'five')).launch);
    expect(types.exitCode).toBe(1);
    expect(types.stderr).toContain(
      'max_steps\n  Input should be a valid integer, unable to parse string as an integer',
    );
    const batch = await start(
      withConfig((config) => ((config['orchestrator'] as Record<string, unknown>)['batch_size'] = 60)).launch,
    );
    expect(batch.exitCode).toBe(1);
    expect(batch.stderr).toContain('Batch size must be divisible by the number of samples per problem');
  });

  it('refuses a TOML syntax error, an unknown flag, and a uv that would sync', async () => {
    const dir = runDir();
    const launch = prepare({ runDir: dir });
    writeFileSync(launch.configPath, `${launch.toml}\n[model\n`);
    const syntax = await start(launch);
    expect(syntax.exitCode).toBe(1);
    expect(syntax.stderr).toContain('tomllib.TOMLDecodeError');

    const good = prepare({ runDir: dir });
    const flag = await start(good, {}, [...good.args, '--deployment.num-infer-gpus', '1']);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toContain('rl: error: unrecognized arguments: --deployment.num-infer-gpus 1');

    const sync = await start(
      good,
      { UV_NO_SYNC: '' },
      good.args.filter((arg) => arg !== '--no-sync'),
    );
    expect(sync.exitCode).toBe(2);
    expect(sync.stderr).toContain('would sync');
  });

  it('fails the orchestrator on an env arg calibrated_qa does not take', async () => {
    const { dir, launch } = withConfig((config) => {
      const env = (
        (config['orchestrator'] as Record<string, unknown>)['env'] as Array<Record<string, unknown>>
      )[0]!;
      (env['args'] as Record<string, unknown>)['temperature'] = 0.7;
    });
    const result = await start(launch);
    expect(result.exitCode).toBe(1);
    expect(parseLog(result.stdout).failures).toMatchObject([{ process: 'Orchestrator', exitCode: 1 }]);
    expect(readFileSync(launch.layout.orchestratorLog, 'utf8')).toContain(
      "TypeError: load_environment() got an unexpected keyword argument 'temperature'",
    );
    expect(existsSync(join(dir, 'attempt-1.jsonl'))).toBe(false);
  });
});

describe('the fake prime-rl: faults and signals', () => {
  const paced = { FAKE_PRIME_RL_STEP_SECONDS: '0.4' };

  it('stops on SIGINT to its group, logging like rl.py, exit 1', async () => {
    const dir = runDir();
    const child = start(prepare({ runDir: dir }), paced);
    await waitFor(() => existsSync(join(dir, 'attempt-1.jsonl')), 'first rollouts');
    killGroup(child.pid!, 'SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(result.signal).toBeUndefined();
    // Mid-step the line may follow an unfinished tqdm bar, as it would on a shared console.
    expect(result.stdout).toMatch(
      /\d\d:\d\d:\d\d WARNING Received interrupt signal, terminating all processes\.\.\.$/,
    );
    expect(parseLog(result.stdout).finished).toBe(false);
    expect(await liveMembers(child.pid!)).toEqual([]);
  });

  it('dies on SIGTERM (no handler), and ignores it when told to', async () => {
    const dies = start(prepare({ runDir: runDir() }), paced);
    await waitForOutput(dies, 'Starting orchestrator step 0');
    killGroup(dies.pid!, 'SIGTERM');
    expect((await dies).signal).toBe('SIGTERM');

    const stubborn = start(prepare({ runDir: runDir() }), { ...paced, FAKE_PRIME_RL_IGNORE_SIGTERM: '1' });
    await waitForOutput(stubborn, 'Starting orchestrator step 0');
    killGroup(stubborn.pid!, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stubborn.exitCode).toBeNull();
    killGroup(stubborn.pid!, 'SIGKILL');
    expect((await stubborn).signal).toBe('SIGKILL');
  });

  it('crashes the trainer at a step with the exit code asked for; the launcher exits 1, as rl.py does', async () => {
    const dir = runDir();
    const result = await start(prepare({ runDir: dir }), {
      FAKE_PRIME_RL_CRASH_AT_STEP: '2',
      FAKE_PRIME_RL_EXIT_CODE: '7',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('ERROR Error: Trainer failed with exit code 7');
    expect(readGenerations(join(dir, 'attempt-1.jsonl'))).toHaveLength(2 * 64 + 32);
    expect(readFileSync(join(dir, 'rl', 'logs', 'trainer.stdout'), 'utf8')).toContain(
      'torch.OutOfMemoryError',
    );

    const early = await start(prepare({ runDir: runDir() }), { FAKE_PRIME_RL_EXIT_CODE: '3' });
    expect(early.exitCode).toBe(1);
    expect(early.stdout).toContain('ERROR Error: Trainer failed with exit code 3');
    expect(parseLog(early.stdout).steps).toEqual([]);
  });

  it('hangs: no more output, still alive', async () => {
    const dir = runDir();
    const child = start(prepare({ runDir: dir }), { FAKE_PRIME_RL_HANG: '1' });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => out.includes('Starting orchestrator step 1'), 'step 1 started');
    const before = out;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(out).toBe(before);
    expect(child.exitCode).toBeNull();
    expect(readGenerations(join(dir, 'attempt-1.jsonl'))).toHaveLength(64);
    killGroup(child.pid!, 'SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
  });

  it('leaves no descendant once its process group is SIGKILLed, even one that ignores signals', async () => {
    const dir = runDir();
    const child = start(prepare({ runDir: dir }), {
      ...paced,
      FAKE_PRIME_RL_FORK_GRANDCHILD: '1',
      FAKE_PRIME_RL_IGNORE_SIGTERM: '1',
      FAKE_PRIME_RL_IGNORE_SIGINT: '1',
    });
    const pidFile = join(dir, 'rl', 'logs', 'fake-grandchild.pid');
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
      'grandchild forked',
    );
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const pgid = child.pid!;

    // SIGINT and SIGTERM to the group: nobody leaves.
    killGroup(pgid, 'SIGINT');
    killGroup(pgid, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const members = await liveMembers(pgid);
    expect(members.some((line) => line.startsWith(`${pgid} `))).toBe(true);
    expect(members.some((line) => line.startsWith(`${grandchild} `) && line.includes('sleep 3600'))).toBe(
      true,
    );

    killGroup(pgid, 'SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
    await waitFor(async () => (await liveMembers(pgid)).length === 0, 'the group is empty');
    const state = existsSync(`/proc/${grandchild}/stat`)
      ? readFileSync(`/proc/${grandchild}/stat`, 'utf8')
      : '';
    // Gone, or a zombie awaiting a reaper (this sandbox's PID 1 does not reap; tini would).
    expect(state === '' || / Z /.test(state)).toBe(true);
  });
});

describe('the fake prime-rl: its own knobs', () => {
  it('refuses a bad knob value', async () => {
    const result = await start(prepare({ runDir: runDir() }), { FAKE_PRIME_RL_STEP_SECONDS: 'soon' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('fake prime-rl: FAKE_PRIME_RL_STEP_SECONDS must be a number of seconds');
  });
});
