import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { scoreCompletion } from '@brier/calibration';
import { execa } from 'execa';
import { parse, stringify } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { freeLocalPorts } from '../src/net/free-port.js';
import { ClassicV040Adapter } from '../src/prime-rl/classic-v0-4.adapter.js';
import { Main559b447Adapter } from '../src/prime-rl/main-559b447.adapter.js';
import type { PrimeRlLaunch, PrimeRlRun } from '../src/prime-rl/prime-rl-adapter.js';

import { FAKE_UV } from './support/agent-process.js';
import {
  killGroup,
  liveMembers,
  parseLog,
  readGenerations,
  smokeSpec,
  startFake,
  tempRunDir,
  waitFor,
} from './support/fake-prime-rl-driver.js';

// The fake prime-rl as prime-rl main at 559b447 (FAKE_PRIME_RL_VERSION=main-559b447), driven
// with the main adapter's config, args and environment, as the agent drives it.
const adapter = new Main559b447Adapter();
const MAIN = { FAKE_PRIME_RL_VERSION: 'main-559b447' };

const cleanups: Array<() => void> = [];
/** The fake binds every port main binds, as the real processes do: free ones per test. */
let ports: Record<string, number> = {};
beforeEach(async () => {
  ports = await freeLocalPorts(adapter.localPorts);
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function prepare(run: Partial<PrimeRlRun> & { runDir: string }, attempt = 1): PrimeRlLaunch {
  const launch = adapter.buildConfig({
    spec: smokeSpec(),
    gpuIds: [2, 5],
    ports,
    envLogPath: join(run.runDir, `attempt-${attempt}.jsonl`),
    startStep: 0,
    ...run,
  });
  writeFileSync(launch.configPath, launch.toml);
  return launch;
}

function start(launch: PrimeRlLaunch, knobs: Record<string, string> = {}, args = launch.args) {
  return startFake(launch, { ...MAIN, ...knobs }, args, cleanups);
}

describe('the fake prime-rl as main-559b447: a whole run', () => {
  it("runs smoke-tiny in main's layout: head step lines, the v1 taskset's rollout log, checkpoints", async () => {
    const dir = tempRunDir(cleanups);
    const launch = prepare({ runDir: dir });
    const result = await start(launch);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);

    // The launcher's console carries the orchestrator's lines (rl.py tails orchestrator.log).
    for (const text of [result.stdout, readFileSync(launch.layout.orchestratorLog, 'utf8')]) {
      const log = parseLog(text);
      expect(log.format).toBe('head');
      expect(log.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
      expect(log.steps.every((s) => s.format === 'head' && s.trainable?.total === 64)).toBe(true);
      expect(log.failures).toEqual([]);
    }
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d\d:\d\d:\d\d SUCCESS Training finished!$/);
    expect(readlinkSync(join(launch.layout.outputDir, 'logs', 'latest'))).toBe('attempt_1');
    expect(readFileSync(launch.layout.inferenceLog, 'utf8')).toContain('[fake] CUDA_VISIBLE_DEVICES=2');
    expect(readFileSync(launch.layout.trainerLog, 'utf8')).toContain('[fake] CUDA_VISIBLE_DEVICES=5');

    // The agent's step = main's step - 1: record i belongs to step floor(i / 64).
    const records = readGenerations(join(dir, 'attempt-1.jsonl'));
    expect(records).toHaveLength(64 * 5);
    expect(records.map((r) => [r.index, r.step])).toEqual(records.map((_, i) => [i, Math.floor(i / 64)]));
    for (const record of records) {
      const completion = record.full_completion.replace(/^\[assistant\] /, '').replace(/\n$/, '');
      const score = scoreCompletion(completion, record.ground_truth, {
        maxTokens: 512,
        lowFraction: 0.2,
        highFraction: 0.8,
      });
      expect(record.reward).toBe(score.reward);
    }

    for (let step = 1; step <= 5; step += 1) {
      const stepDir = join(launch.layout.checkpointsDir, `step_${step}`);
      expect(existsSync(join(stepDir, 'trainer', '.metadata'))).toBe(true);
      expect(existsSync(join(stepDir, 'orchestrator', 'progress.pt'))).toBe(true);
    }
    expect(launch.layout.weightsDir).toBeNull();
    expect(existsSync(join(dir, 'rl', 'weights'))).toBe(false);
  });

  it('resumes after a crash with --resume.step N: a new attempt log dir, steps N+1.. and the same attribution', async () => {
    const dir = tempRunDir(cleanups);
    const crashed = await start(prepare({ runDir: dir }), { FAKE_PRIME_RL_CRASH_AT_STEP: '4' });
    expect(crashed.exitCode).toBe(1);
    expect(crashed.stdout).toContain('ERROR Error: Trainer failed with exit code 1');

    // Checkpoints step_1..3 were written; the agent resumes from step 3 (3 steps done).
    const resumed = prepare({ runDir: dir, startStep: 3 }, 2);
    expect(resumed.args.slice(-2)).toEqual(['--resume.step', '3']);
    const result = await start(resumed);
    expect(result.exitCode).toBe(0);
    const log = parseLog(result.stdout);
    expect(log.steps.map((s) => s.step)).toEqual([4, 5]);
    expect(result.stdout).toContain('Resuming orchestrator from checkpoint step 3');
    expect(readlinkSync(join(resumed.layout.outputDir, 'logs', 'latest'))).toBe('attempt_2');
    const records = readGenerations(join(dir, 'attempt-2.jsonl'));
    expect(records.map((r) => r.step)).toEqual(records.map((_, i) => 3 + Math.floor(i / 64)));
    expect(records).toHaveLength(2 * 64);

    // A fresh start (startStep 0) cleans the run directory instead of being refused.
    const fresh = await start(prepare({ runDir: dir }, 3));
    expect(fresh.exitCode).toBe(0);
    expect(readlinkSync(join(resumed.layout.outputDir, 'logs', 'latest'))).toBe('attempt_1');
  });

  it('refuses to start over in a used run directory without clean, and a resume without its checkpoint', async () => {
    const dir = tempRunDir(cleanups);
    const launch = prepare({ runDir: dir, spec: smokeSpec({ maxSteps: 1 }) });
    expect((await start(launch)).exitCode).toBe(0);
    const config = parse(launch.toml);
    delete config['clean'];
    writeFileSync(launch.configPath, stringify(config));
    const refused = await start(launch);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('already contains artifacts from a previous run');

    const missing = await start(prepare({ runDir: dir, spec: smokeSpec({ maxSteps: 5 }), startStep: 4 }, 2));
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('Error: Trainer failed with exit code 1');
  });
});

describe('the fake prime-rl as main-559b447: configs it refuses', () => {
  it("refuses the classic schema's keys, W&B offline in monitors, and too few GPUs", async () => {
    const dir = tempRunDir(cleanups);
    const classic = new ClassicV040Adapter().buildConfig({
      spec: smokeSpec(),
      gpuIds: [0, 1],
      ports,
      runDir: dir,
      envLogPath: join(dir, 'a.jsonl'),
      startStep: 0,
    });
    writeFileSync(classic.configPath, classic.toml);
    const old = await start(classic, {}, classic.args.slice(0, 5));
    expect(old.exitCode).toBe(1);
    expect(old.stderr).toMatch(/inference_gpu_ids\n {2}Extra inputs are not permitted/);
    expect(old.stderr).toMatch(/orchestrator\.rollouts_per_example\n {2}Extra inputs are not permitted/);

    const launch = prepare({ runDir: dir });
    const offline = await start(launch, {}, [...launch.args, '--monitors.wandb.offline', 'true']);
    expect(offline.exitCode).toBe(1);
    expect(offline.stderr).toContain('monitors.wandb.offline = true is not supported');

    const oneGpu = await start(launch, { CUDA_VISIBLE_DEVICES: '2' });
    expect(oneGpu.exitCode).toBe(1);
    expect(oneGpu.stderr).toContain('Requested 2 GPUs via deployment settings, but only 1 physical GPU(s)');
  });

  it("fails the env server on a key the taskset's config does not take", async () => {
    const dir = tempRunDir(cleanups);
    const launch = prepare({ runDir: dir });
    const config = parse(launch.toml) as {
      orchestrator: { train: { source: Array<{ env: { taskset: Record<string, unknown> } }> } };
    };
    config.orchestrator.train.source[0]!.env.taskset['temperature'] = 0.7;
    writeFileSync(launch.configPath, stringify(config));
    const result = await start(launch);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('ERROR Error: Train env server calibrated-qa failed with exit code 1');
    const envLog = readFileSync(
      join(launch.layout.outputDir, 'logs', 'latest', 'envs', 'train', 'calibrated-qa.log'),
      'utf8',
    );
    expect(envLog).toContain('temperature: Extra inputs are not permitted');
    expect(existsSync(join(dir, 'attempt-1.jsonl'))).toBe(false);
  });
});

describe('the fake prime-rl as main-559b447: the ports a launch binds', () => {
  it('runs two launches side by side on their own ports; one on the same ports fails as main would', async () => {
    // The first run stays up (it hangs at step 2) until the others are done, however slow they are.
    const first = prepare({ runDir: tempRunDir(cleanups) });
    const running = start(first, { FAKE_PRIME_RL_HANG: '2' });
    const firstDir = dirname(first.configPath);
    await waitFor(() => existsSync(join(firstDir, 'attempt-1.jsonl')), 'first run rollouts');

    // Another attempt's own ports: it runs to the end beside the first.
    const own = await freeLocalPorts(adapter.localPorts);
    const beside = await start(prepare({ runDir: tempRunDir(cleanups), ports: own }));
    expect(beside.exitCode).toBe(0);

    // The same ports again (prime-rl's fixed defaults would do this to every pair of runs).
    const same = prepare({ runDir: tempRunDir(cleanups) });
    const clash = await start(same);
    expect(clash.exitCode).toBe(1);
    expect(clash.stdout).toContain('Error: Inference failed with exit code 1');
    expect(readFileSync(same.layout.inferenceLog, 'utf8')).toContain('Address already in use');

    expect(running.exitCode).toBeNull();
    killGroup(running.pid!, 'SIGKILL');
    await running;
  });

  it("refuses a client URL that is not the router's port, before starting anything", async () => {
    const dir = tempRunDir(cleanups);
    const launch = prepare({ runDir: dir });
    const config = parse(launch.toml) as { orchestrator: { model: { client: { base_url: string } } } };
    config.orchestrator.model.client.base_url = 'http://127.0.0.1:8000/v1';
    writeFileSync(launch.configPath, stringify(config));
    const result = await start(launch);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `orchestrator.model.client.base_url port (8000) does not match inference.server.port (${ports['inference']})`,
    );
    expect(existsSync(join(dir, 'attempt-1.jsonl'))).toBe(false);
  });
});

describe('the fake prime-rl as main-559b447: signals and knobs', () => {
  const paced = { FAKE_PRIME_RL_STEP_SECONDS: '0.4' };

  it.each<[NodeJS.Signals, string]>([
    ['SIGTERM', 'Received SIGTERM, terminating all processes...'],
    ['SIGINT', 'Received interrupt signal, terminating all processes...'],
  ])('stops on %s with its handler, exit 1', async (signal, line) => {
    const dir = tempRunDir(cleanups);
    const child = start(prepare({ runDir: dir }), paced);
    await waitFor(() => existsSync(join(dir, 'attempt-1.jsonl')), 'first rollouts');
    killGroup(child.pid!, signal);
    const result = await child;
    expect(result.exitCode).toBe(1);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toContain(line);
    expect(await liveMembers(child.pid!)).toEqual([]);
  });

  it('keeps a stop signal whose exception a finalizer swallowed, and raises it at its next check', async () => {
    // main's v1 taskset runs asyncio.run per rollout; SIGINT landing in an event loop's __del__
    // used to be printed as "Exception ignored" and dropped, and the fake ran on to exit 0.
    const script = [
      'import os, signal, sys',
      `sys.path.insert(0, ${JSON.stringify(dirname(FAKE_UV))})`,
      'from fake_prime_rl.stop_signals import StopSignals',
      'stops = StopSignals()',
      'stops.raise_on(signal.SIGINT, KeyboardInterrupt)',
      'class Finalized:',
      '    def __del__(self):',
      '        os.kill(os.getpid(), signal.SIGINT)',
      '        sum(range(1000))',
      'Finalized()',
      'print("ran on", flush=True)',
      'try:',
      '    stops.check()',
      'except KeyboardInterrupt:',
      '    print("interrupted")',
    ].join('\n');
    const result = await execa('python3', ['-c', script], { reject: false });
    expect(result.stderr).toContain('Exception ignored in');
    expect(result.stdout.split('\n')).toEqual(['ran on', 'interrupted']);
  });

  it('forks a grandchild into the run directory and hangs at a step when told to', async () => {
    const dir = tempRunDir(cleanups);
    const launch = prepare({ runDir: dir });
    const child = start(launch, { FAKE_PRIME_RL_FORK_GRANDCHILD: '1', FAKE_PRIME_RL_HANG: '2' });
    const pidFile = join(launch.layout.outputDir, 'logs', 'fake-grandchild.pid');
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 'grandchild');
    await waitFor(() => existsSync(join(dir, 'attempt-1.jsonl')), 'step 1 rollouts');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(child.exitCode).toBeNull();
    expect(readGenerations(join(dir, 'attempt-1.jsonl'))).toHaveLength(64);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect((await liveMembers(child.pid!)).some((line) => line.startsWith(`${grandchild} `))).toBe(true);
    killGroup(child.pid!, 'SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
  });
});
