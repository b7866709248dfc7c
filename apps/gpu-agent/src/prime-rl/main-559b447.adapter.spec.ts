import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseRunRequest, type TrainSpecDto } from '@brier/contracts';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

import { ClassicV040Adapter } from './classic-v0-4.adapter.js';
import { Main559b447Adapter } from './main-559b447.adapter.js';
import { PrimeRlConfigError, type PrimeRlRun } from './prime-rl-adapter.js';

const adapter = new Main559b447Adapter();
const SEED_TOML = readFileSync(
  fileURLToPath(new URL('../../test/fixtures/prime-rl/seed-rl.toml', import.meta.url)),
  'utf8',
);

function trainSpec(preset: string): TrainSpecDto {
  const result = parseRunRequest({ preset });
  if (!result.ok || result.value.kind !== 'train')
    throw new Error(`preset ${preset} is not a valid train run`);
  return result.value.spec;
}

function run(overrides: Partial<PrimeRlRun> = {}): PrimeRlRun {
  return {
    spec: trainSpec('smoke-tiny'),
    runDir: '/work/runs/r1',
    gpuIds: [0, 1],
    ports: { inference: 8123, engine: 8124, envServers: 8125, rolloutTransport: 8126, weightBroadcast: 8128 },
    envLogPath: '/work/runs/r1/attempt-1/rollouts.jsonl',
    startStep: 0,
    ...overrides,
  };
}

type Table = Record<string, unknown>;
const table = (value: unknown): Table => (value ?? {}) as Table;

/**
 * What the seed's classic file (seed-spec §6) decides, per concept, read with v0.4.0's keys and
 * defaults (inference_gpu_ids [0], trainer_gpu_ids [1], temperature 1).
 */
function seedConcepts(): Table {
  const config = parse(SEED_TOML) as Table;
  const orchestrator = table(config['orchestrator']);
  return {
    maxSteps: config['max_steps'],
    seqLen: config['seq_len'],
    model: table(config['model'])['name'],
    inferenceGpus: ((config['inference_gpu_ids'] as number[] | undefined) ?? [0]).length,
    trainerGpus: ((config['trainer_gpu_ids'] as number[] | undefined) ?? [1]).length,
    rolloutsPerStep: orchestrator['batch_size'],
    rolloutsPerQuestion: orchestrator['rollouts_per_example'],
    maxCompletionTokens: table(orchestrator['sampling'])['max_tokens'],
    temperature: table(orchestrator['sampling'])['temperature'] ?? 1,
    envIds: ((orchestrator['env'] ?? []) as Table[]).map((env) => env['id']),
    lr: table(table(config['trainer'])['optim'])['lr'],
    checkpoints: config['ckpt'] !== undefined,
    checkpointInterval: table(config['ckpt'])['interval'] ?? null,
    vllm: config['inference'] !== undefined,
    gpuMemoryUtilization: table(config['inference'])['gpu_memory_utilization'],
    wandbOffline: true, // --wandb.offline true on the seed's command line
  };
}

/**
 * The same concepts read from a main-559b447 launch with main's keys and defaults (RLConfig,
 * OrchestratorConfig, InferenceConfig in packages/prime-rl-configs at 559b447): `[deployment]`
 * counts default to 1 and 1, train sources under `orchestrator.train.source`, the taskset id in
 * `env.taskset.id`, vLLM's memory share in `inference.vllm`, and W&B offline only through
 * WANDB_MODE (monitors.wandb.offline is refused).
 */
function mainConcepts(toml: string, env: Record<string, string>): Table {
  const config = parse(toml) as Table;
  const orchestrator = table(config['orchestrator']);
  const train = table(orchestrator['train']);
  const deployment = table(config['deployment']);
  const wandb = table(table(config['monitors'])['wandb']);
  return {
    maxSteps: config['max_steps'],
    seqLen: config['seq_len'],
    model: table(config['model'])['name'],
    inferenceGpus: deployment['num_infer_gpus'] ?? 1,
    trainerGpus: deployment['num_train_gpus'] ?? 1,
    rolloutsPerStep: orchestrator['batch_size'],
    rolloutsPerQuestion: orchestrator['group_size'],
    maxCompletionTokens: table(train['sampling'])['max_completion_tokens'],
    temperature: table(train['sampling'])['temperature'] ?? 1,
    envIds: ((train['source'] ?? []) as Table[]).map(
      (source) => table(table(source['env'])['taskset'])['id'],
    ),
    lr: table(table(config['trainer'])['optim'])['lr'],
    checkpoints: config['ckpt'] !== undefined,
    checkpointInterval: table(config['ckpt'])['interval'] ?? null,
    vllm: config['inference'] !== undefined,
    gpuMemoryUtilization: table(table(config['inference'])['vllm'])['gpu_memory_utilization'] ?? 0.9,
    wandbOffline: env['WANDB_MODE'] === 'offline' && !('offline' in wandb),
  };
}

describe('Main559b447Adapter: the seed preset', () => {
  const seedRun = run({ spec: trainSpec('seed-gemma2-2b-boolq'), gpuIds: [0, 1] });
  const launch = adapter.buildConfig(seedRun);
  const ours = parse(launch.toml) as Table;

  it("says what the seed's configuration (seed-spec §6) said, in main's keys", () => {
    expect(mainConcepts(launch.toml, launch.env)).toEqual(seedConcepts());
    expect(seedConcepts()).toMatchObject({
      maxSteps: 50,
      seqLen: 2048,
      model: 'google/gemma-2-2b-it',
      inferenceGpus: 1,
      trainerGpus: 1,
      rolloutsPerStep: 1024,
      rolloutsPerQuestion: 8,
      maxCompletionTokens: 512,
      lr: 1e-6,
      checkpoints: true,
      gpuMemoryUtilization: 0.9,
    });
  });

  it('leaves the older keys behind: main would refuse them as unknown', () => {
    for (const key of ['inference_gpu_ids', 'trainer_gpu_ids', 'max_async_level', 'wandb']) {
      expect(ours).not.toHaveProperty(key);
    }
    const orchestrator = table(ours['orchestrator']);
    for (const key of ['rollouts_per_example', 'sampling', 'env'])
      expect(orchestrator).not.toHaveProperty(key);
    expect(table(orchestrator['train'])).not.toHaveProperty('env');
    expect(table(ours['inference'])).not.toHaveProperty('gpu_memory_utilization');
    expect(launch.args).not.toContain('--wandb.offline');
  });

  it('runs synchronous max_async_level 0 as the nearest main has: at most one step off-policy', () => {
    expect(seedRun.spec.maxAsyncLevel).toBe(0);
    expect(table(ours['orchestrator'])['max_off_policy_steps']).toBe(1);
  });

  it('gives the taskset the same arguments the classic env got (one calibrated-qa, one rollout log)', () => {
    const classic = parse(new ClassicV040Adapter().buildConfig(seedRun).toml) as Table;
    const classicEnv = (table(classic['orchestrator'])['env'] as Table[])[0];
    const sources = table(table(ours['orchestrator'])['train'])['source'] as Table[];
    expect(sources).toHaveLength(1);
    const taskset = table(table(sources[0]?.['env'])['taskset']);
    const { id, ...args } = taskset;
    expect(id).toBe(classicEnv?.['id']);
    expect(args).toEqual(classicEnv?.['args']);
    expect(args).toMatchObject({ batch_size: 1024, start_step: 0 });
  });
});

describe('Main559b447Adapter.buildConfig', () => {
  it('writes the whole main config for smoke-tiny on two GPUs', () => {
    const launch = adapter.buildConfig(run({ gpuIds: [3, 4], wandb: { name: 'smoke-attempt-1' } }));
    expect(parse(launch.toml)).toEqual({
      output_dir: '/work/runs/r1/rl',
      max_steps: 5,
      seq_len: 2048,
      run: { name: 'brier' },
      clean: true,
      deployment: { num_infer_gpus: 1, num_train_gpus: 1 },
      model: { name: 'google/gemma-2-2b-it' },
      monitors: { wandb: { project: 'brier', name: 'smoke-attempt-1' } },
      trainer: { optim: { lr: 1e-6 } },
      weight_broadcast: { type: 'nccl', port: 8128 },
      rollout_transport: { type: 'zmq', port: 8126 },
      orchestrator: {
        model: { client: { base_url: 'http://127.0.0.1:8123/v1' } },
        env_server_base_port: 8125,
        batch_size: 64,
        group_size: 8,
        max_off_policy_steps: 1,
        renderer: { name: 'default' },
        train: {
          sampling: { max_completion_tokens: 512, temperature: 1 },
          source: [
            {
              env: {
                taskset: {
                  id: 'calibrated-qa',
                  log_path: '/work/runs/r1/attempt-1/rollouts.jsonl',
                  batch_size: 64,
                  start_step: 0,
                  prompt_template: 'boolq-passage-v1',
                  dataset_split: 'train',
                  balance: true,
                  seed: 42,
                  max_tokens: 512,
                  low_fraction: 0.2,
                  high_fraction: 0.8,
                },
                agent: { harness: { id: 'null' }, runtime: { type: 'subprocess' } },
              },
            },
          ],
        },
      },
      inference: {
        server: { host: '127.0.0.1', port: 8123 },
        backend_port: 8124,
        vllm: { gpu_memory_utilization: 0.9 },
      },
      ckpt: { interval: 1 },
    });
  });

  it("moves every port a local launch binds to the attempt's own, and refuses a run without them", () => {
    const portsOf = (config: Table) => ({
      router: table(table(config['inference'])['server'])['port'],
      client: table(table(table(config['orchestrator'])['model'])['client'])['base_url'],
      engine: table(config['inference'])['backend_port'],
      envServers: table(config['orchestrator'])['env_server_base_port'],
      rolloutTransport: table(config['rollout_transport'])['port'],
      weightBroadcast: table(config['weight_broadcast'])['port'],
    });
    const ports = {
      inference: 41_000,
      engine: 41_001,
      envServers: 41_002,
      rolloutTransport: 41_003,
      weightBroadcast: 41_005,
    };
    expect(portsOf(parse(adapter.buildConfig(run({ ports })).toml) as Table)).toEqual({
      router: 41_000,
      client: 'http://127.0.0.1:41000/v1',
      engine: 41_001,
      envServers: 41_002,
      rolloutTransport: 41_003,
      weightBroadcast: 41_005,
    });
    // The plan the agent picks them by: the router's metrics port and ZMQ's second port ride along.
    expect(adapter.localPorts).toEqual({
      inference: [0, 21_000],
      engine: [0],
      envServers: [0],
      rolloutTransport: [0, 1],
      weightBroadcast: [0],
    });
    expect(() => adapter.buildConfig(run({ ports: { ...ports, engine: undefined } as never }))).toThrow(
      /ports\.engine must be in 1\.\.65535 \(got none\)/,
    );
  });

  it("launches through uv without syncing and watches main's run-directory layout", () => {
    const launch = adapter.buildConfig(run());
    expect(launch.configPath).toBe('/work/runs/r1/rl.toml');
    expect(launch.args).toEqual(['run', '--no-sync', 'rl', '@', '/work/runs/r1/rl.toml']);
    expect(launch.layout).toEqual({
      outputDir: '/work/runs/r1/rl/brier',
      orchestratorLog: '/work/runs/r1/rl/brier/logs/latest/orchestrator.log',
      trainerLog: '/work/runs/r1/rl/brier/logs/latest/trainer.log',
      inferenceLog: '/work/runs/r1/rl/brier/logs/latest/inference.log',
      launcherLog: '/work/runs/r1/rl/brier/logs/rl.log',
      checkpointsDir: '/work/runs/r1/rl/brier/checkpoints',
      weightsDir: null,
    });
    expect(launch.env).toEqual({
      CUDA_VISIBLE_DEVICES: '0,1',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      UV_NO_SYNC: '1',
      PYTHONUNBUFFERED: '1',
      WANDB_MODE: 'offline',
    });
    expect(adapter.logFormat).toBe('head');
  });

  it('splits the reserved GPUs by count: the launcher maps CUDA_VISIBLE_DEVICES in order, vLLM first', () => {
    const four = adapter.buildConfig(run({ gpuIds: [2, 5, 6, 7] }));
    expect((parse(four.toml) as Table)['deployment']).toEqual({ num_infer_gpus: 1, num_train_gpus: 3 });
    expect(four.env['CUDA_VISIBLE_DEVICES']).toBe('2,5,6,7');
  });

  it('resumes: start_step for the taskset, --resume.step for prime-rl, and no clean', () => {
    const launch = adapter.buildConfig(run({ startStep: 3 }));
    expect(launch.args.slice(-2)).toEqual(['--resume.step', '3']);
    expect(adapter.resumeArgs(3)).toEqual(['--resume.step', '3']);
    const config = parse(launch.toml) as Table;
    expect(config).not.toHaveProperty('clean');
    const source = (table(table(config['orchestrator'])['train'])['source'] as Table[])[0];
    expect(table(table(source?.['env'])['taskset'])['start_step']).toBe(3);
    const fresh = adapter.buildConfig(run());
    expect(fresh.args).not.toContain('--resume.step');
    expect((parse(fresh.toml) as Table)['clean']).toBe(true);
  });

  it('leaves [ckpt] out when checkpoints are off, and keeps it empty without an interval', () => {
    const spec = trainSpec('smoke-tiny');
    const off = adapter.buildConfig(
      run({ spec: { ...spec, checkpoints: false, checkpointInterval: undefined } }),
    );
    expect(parse(off.toml)).not.toHaveProperty('ckpt');
    const final = adapter.buildConfig(run({ spec: { ...spec, checkpointInterval: undefined } }));
    expect((parse(final.toml) as Table)['ckpt']).toEqual({});
  });

  it('cannot be made to inject keys: hostile strings stay values', () => {
    const spec = trainSpec('smoke-tiny');
    const model = 'evil"\nmax_steps = 99999\n[deployment]\nnum_train_gpus = 8\n# ';
    const logPath = '/tmp/a\'b"c\n[[orchestrator.train.source]]\nid = "x".jsonl';
    const launch = adapter.buildConfig(run({ spec: { ...spec, model }, envLogPath: logPath }));
    const parsed = parse(launch.toml) as Table;
    expect(table(parsed['model'])['name']).toBe(model);
    expect(parsed['max_steps']).toBe(5);
    expect(parsed['deployment']).toEqual({ num_infer_gpus: 1, num_train_gpus: 1 });
    const sources = table(table(parsed['orchestrator'])['train'])['source'] as Table[];
    expect(sources).toHaveLength(1);
    expect(table(table(sources[0]?.['env'])['taskset'])['log_path']).toBe(logPath);
  });

  it.each<[string, Partial<PrimeRlRun>, RegExp]>([
    ['one GPU (main never shares one between vLLM and the trainer)', { gpuIds: [0] }, /needs at least 2/],
    ['no GPU', { gpuIds: [] }, /at least one GPU/],
    ['a GPU twice', { gpuIds: [1, 1] }, /distinct/],
    ['a relative run dir', { runDir: 'runs/r1' }, /runDir must be an absolute path/],
    ['a relative log path', { envLogPath: 'gen.jsonl' }, /envLogPath must be an absolute path/],
    ['an env batch size that misattributes steps', { batchSize: 32 }, /must equal the spec's batchSize/],
    ['a start past the last step', { startStep: 5 }, /leaves nothing to run/],
    [
      'an async level main has no key for',
      { spec: { ...trainSpec('smoke-tiny'), maxAsyncLevel: 2 } },
      /prime-rl main-559b447 has a fixed one-step lag/,
    ],
  ])('refuses %s', (_what, overrides, message) => {
    expect(() => adapter.buildConfig(run(overrides))).toThrow(PrimeRlConfigError);
    expect(() => adapter.buildConfig(run(overrides))).toThrow(message);
  });

  it('refuses resume steps main cannot take (resume.step is at least 1)', () => {
    expect(() => adapter.resumeArgs(0)).toThrow(/resumes from step 1 or later/);
    expect(() => adapter.resumeArgs(-1)).toThrow(PrimeRlConfigError);
  });
});

describe('Main559b447Adapter.buildInferenceServer', () => {
  const server = { model: 'google/gemma-2-2b-it', gpuIds: [3], port: 41234, runDir: '/work/runs/e1' };

  it("starts main's inference entry point as one bare engine on localhost, on the reserved GPUs", () => {
    const launch = adapter.buildInferenceServer(server);
    expect(launch.args).toEqual([
      'run',
      '--no-sync',
      'inference',
      '--vllm.model',
      'google/gemma-2-2b-it',
      '--server.host',
      '127.0.0.1',
      '--server.port',
      '41234',
      '--vllm.gpu-memory-utilization',
      '0.9',
      '--no-router',
    ]);
    expect(launch.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '3', UV_NO_SYNC: '1' });
    expect(launch.servedModel).toBe('google/gemma-2-2b-it');
    expect(launch.stdoutPath).toBe('/work/runs/e1/inference/inference.stdout');
    expect(adapter.buildInferenceServer({ ...server, gpuIds: [0, 1] }).args.slice(-2)).toEqual([
      '--vllm.data-parallel-size',
      '2',
    ]);
  });

  it('refuses a relative model path and a bad port', () => {
    expect(() => adapter.buildInferenceServer({ ...server, model: './broadcasts/step_1' })).toThrow(
      PrimeRlConfigError,
    );
    expect(() => adapter.buildInferenceServer({ ...server, port: 0 })).toThrow(PrimeRlConfigError);
  });
});
