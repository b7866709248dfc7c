import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseRunRequest, type TrainSpecDto } from '@brier/contracts';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

import { ClassicV040Adapter, classicGpuSplit } from './classic-v0-4.adapter.js';
import { PrimeRlConfigError, type PrimeRlRun } from './prime-rl-adapter.js';

const adapter = new ClassicV040Adapter();
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
    runDir: '/work/runs/r1/attempt-1',
    gpuIds: [0],
    ports: { inference: 8123 },
    envLogPath: '/work/runs/r1/attempt-1/generations.jsonl',
    startStep: 0,
    ...overrides,
  };
}

type Table = Record<string, unknown>;
const table = (value: unknown): Table => (value ?? {}) as Table;

/**
 * The settings that decide what a classic run does, as prime-rl v0.4.0 would resolve them:
 * the TOML, then `--key value` overrides after the config path, then rl.py's defaults for what
 * is left unset (RLConfig, OrchestratorConfig, SamplingConfig at f870f3c).
 */
function effective(toml: string, args: readonly string[]): Table {
  const config = parse(toml) as Table;
  const overrides = new Map<string, string>();
  const at = args.indexOf('@');
  for (let i = at + 2; i < args.length; i += 2) overrides.set(args[i] ?? '', args[i + 1] ?? '');
  const orchestrator = table(config['orchestrator']);
  const sampling = table(orchestrator['sampling']);
  const envs = (orchestrator['env'] ?? []) as Table[];
  const ckpt = config['ckpt'] as Table | undefined;
  const inference = config['inference'] as Table | undefined;
  return {
    inference_gpu_ids: config['inference_gpu_ids'] ?? [0],
    trainer_gpu_ids: config['trainer_gpu_ids'] ?? [1],
    max_steps: config['max_steps'],
    seq_len: config['seq_len'],
    max_async_level: config['max_async_level'],
    'model.name': table(config['model'])['name'],
    'wandb.offline':
      overrides.get('--wandb.offline') === 'true' || table(config['wandb'])['offline'] === true,
    'orchestrator.batch_size': orchestrator['batch_size'],
    'orchestrator.rollouts_per_example': orchestrator['rollouts_per_example'],
    'orchestrator.sampling.max_tokens': sampling['max_tokens'],
    'orchestrator.sampling.temperature': sampling['temperature'] ?? 1,
    'orchestrator.env.id': envs.map((env) => env['id']),
    'trainer.optim.lr': table(table(config['trainer'])['optim'])['lr'],
    ckpt: ckpt !== undefined,
    'ckpt.interval': ckpt?.['interval'] ?? null,
    'ckpt.resume_step': overrides.get('--ckpt.resume-step') ?? null,
    inference: inference !== undefined,
    'inference.gpu_memory_utilization': inference?.['gpu_memory_utilization'],
  };
}

describe('ClassicV040Adapter: the seed preset', () => {
  const seedRun = run({ spec: trainSpec('seed-gemma2-2b-boolq'), gpuIds: [0, 1] });
  const launch = adapter.buildConfig(seedRun);

  it("yields the seed's configuration (seed-spec §6) in every setting that decides the run", () => {
    const seedArgs = [
      'run',
      'rl',
      '@',
      'seed.toml',
      '--output-dir',
      '/root/out/rl',
      '--wandb.offline',
      'true',
    ];
    expect(effective(launch.toml, launch.args)).toEqual(effective(SEED_TOML, seedArgs));
    expect(effective(launch.toml, launch.args)).toMatchObject({
      max_steps: 50,
      seq_len: 2048,
      max_async_level: 0,
      'model.name': 'google/gemma-2-2b-it',
      'orchestrator.batch_size': 1024,
      'orchestrator.rollouts_per_example': 8,
      'orchestrator.sampling.max_tokens': 512,
      'trainer.optim.lr': 1e-6,
      ckpt: true,
      'inference.gpu_memory_utilization': 0.9,
      'wandb.offline': true,
    });
  });

  it("differs from the seed's file only where Brier means to: env args, W&B naming and the run's own port", () => {
    const ours = parse(launch.toml) as Table;
    const seed = parse(SEED_TOML) as Table;
    const envArgs = (config: Table) => table((table(config['orchestrator'])['env'] as Table[])[0]?.['args']);
    expect(envArgs(seed)).toEqual({ log_dir: '/root/outputs/calibrated-qa-gemma2-2b/rl' });
    // An attributed log per attempt (log_path, batch_size, start_step) and the spec's prompt,
    // dataset and reward bounds, all of which the seed left at the env's defaults.
    expect(envArgs(ours)).toEqual({
      log_path: '/work/runs/r1/attempt-1/generations.jsonl',
      batch_size: 1024,
      start_step: 0,
      prompt_template: 'boolq-passage-v1',
      dataset_split: 'train',
      balance: true,
      seed: 42,
      max_tokens: 512,
      low_fraction: 0.2,
      high_fraction: 0.8,
    });
    expect(ours['wandb']).toEqual({ project: 'brier', offline: true });
    // The seed left vLLM on prime-rl's default (0.0.0.0:8000), alone on its host.
    expect(table(seed['inference'])['server']).toBeUndefined();
    expect(table(ours['inference'])['server']).toEqual({ host: '127.0.0.1', port: 8123 });
    expect(table(table(ours['orchestrator'])['client'])).toEqual({ base_url: ['http://127.0.0.1:8123/v1'] });
  });
});

describe('ClassicV040Adapter.buildConfig', () => {
  it('writes the whole classic config for smoke-tiny on one GPU', () => {
    const launch = adapter.buildConfig(run({ gpuIds: [3] }));
    expect(parse(launch.toml)).toEqual({
      inference_gpu_ids: [3],
      trainer_gpu_ids: [3],
      output_dir: '/work/runs/r1/attempt-1/rl',
      max_steps: 5,
      seq_len: 2048,
      max_async_level: 0,
      model: { name: 'google/gemma-2-2b-it' },
      wandb: { project: 'brier', offline: true },
      trainer: { optim: { lr: 1e-6 } },
      orchestrator: {
        batch_size: 64,
        rollouts_per_example: 8,
        sampling: { max_tokens: 512, temperature: 1 },
        env: [
          {
            id: 'calibrated-qa',
            args: {
              log_path: '/work/runs/r1/attempt-1/generations.jsonl',
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
          },
        ],
        client: { base_url: ['http://127.0.0.1:8123/v1'] },
      },
      inference: { gpu_memory_utilization: 0.5, server: { host: '127.0.0.1', port: 8123 } },
      ckpt: { interval: 1 },
    });
  });

  it('gives vLLM half a GPU it shares with the trainer, and 0.9 of one of its own', () => {
    const memoryShare = (gpuIds: number[]) =>
      table(table(parse(adapter.buildConfig(run({ gpuIds })).toml))['inference'])['gpu_memory_utilization'];
    expect(memoryShare([3])).toBe(0.5);
    expect(memoryShare([3, 4])).toBe(0.9);
    expect(memoryShare([3, 4, 5])).toBe(0.9);
  });

  it("points the orchestrator at this attempt's own vLLM port, never prime-rl's shared default", () => {
    const ports = [8123, 41_007].map((inference) => {
      const config = parse(adapter.buildConfig(run({ ports: { inference } })).toml) as Table;
      return {
        server: table(table(config['inference'])['server'])['port'],
        client: table(table(config['orchestrator'])['client'])['base_url'],
      };
    });
    expect(ports).toEqual([
      { server: 8123, client: ['http://127.0.0.1:8123/v1'] },
      { server: 41_007, client: ['http://127.0.0.1:41007/v1'] },
    ]);
  });

  it('launches through uv without syncing, config by path, W&B offline', () => {
    const launch = adapter.buildConfig(run());
    expect(launch.configPath).toBe('/work/runs/r1/attempt-1/rl.toml');
    expect(launch.args).toEqual([
      'run',
      '--no-sync',
      'rl',
      '@',
      '/work/runs/r1/attempt-1/rl.toml',
      '--output-dir',
      '/work/runs/r1/attempt-1/rl',
      '--wandb.offline',
      'true',
    ]);
    expect(launch.layout).toEqual({
      outputDir: '/work/runs/r1/attempt-1/rl',
      orchestratorLog: '/work/runs/r1/attempt-1/rl/logs/orchestrator.stdout',
      trainerLog: '/work/runs/r1/attempt-1/rl/logs/trainer.stdout',
      inferenceLog: '/work/runs/r1/attempt-1/rl/logs/inference.stdout',
      launcherLog: '/work/runs/r1/attempt-1/rl/logs/rl.log',
      checkpointsDir: '/work/runs/r1/attempt-1/rl/checkpoints',
      weightsDir: '/work/runs/r1/attempt-1/rl/weights',
    });
  });

  it('gives the reserved physical GPUs: CUDA_VISIBLE_DEVICES and the ids rl.py hands its children', () => {
    const two = adapter.buildConfig(run({ gpuIds: [2, 5] }));
    expect(parse(two.toml)).toMatchObject({ inference_gpu_ids: [2], trainer_gpu_ids: [5] });
    expect(two.env).toEqual({
      CUDA_VISIBLE_DEVICES: '2,5',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      UV_NO_SYNC: '1',
      PYTHONUNBUFFERED: '1',
      WANDB_MODE: 'offline',
    });
    expect(classicGpuSplit([4, 5, 6, 7])).toEqual({ inference: [4], trainer: [5, 6, 7] });
  });

  it('resumes: start_step for the env and --ckpt.resume-step for prime-rl', () => {
    const launch = adapter.buildConfig(run({ startStep: 3 }));
    expect(launch.args.slice(-2)).toEqual(['--ckpt.resume-step', '3']);
    expect(adapter.resumeArgs(3)).toEqual(['--ckpt.resume-step', '3']);
    const env = ((parse(launch.toml) as Table)['orchestrator'] as { env: Table[] }).env[0];
    expect(table(env?.['args'])['start_step']).toBe(3);
  });

  it('leaves [ckpt] out when the spec turns checkpoints off, and keeps it empty without an interval', () => {
    const spec = trainSpec('smoke-tiny');
    const off = adapter.buildConfig(
      run({ spec: { ...spec, checkpoints: false, checkpointInterval: undefined } }),
    );
    expect(parse(off.toml)).not.toHaveProperty('ckpt');
    const final = adapter.buildConfig(run({ spec: { ...spec, checkpointInterval: undefined } }));
    expect((parse(final.toml) as Table)['ckpt']).toEqual({});
  });

  it('passes a local dataset to the env', () => {
    const launch = adapter.buildConfig(run({ datasetPath: '/data/boolq/train.jsonl' }));
    expect(launch.toml).toContain('dataset_path = "/data/boolq/train.jsonl"');
  });

  it('cannot be made to inject keys: hostile strings stay values', () => {
    const spec = trainSpec('smoke-tiny');
    const model = 'evil"\nmax_steps = 99999\n[inference]\nx = 1\n# ';
    const logPath = '/tmp/a\'b"c\n[[orchestrator.env]]\nid = "x".jsonl';
    const launch = adapter.buildConfig(run({ spec: { ...spec, model }, envLogPath: logPath }));
    const parsed = parse(launch.toml) as Table;
    expect(table(parsed['model'])['name']).toBe(model);
    expect(parsed['max_steps']).toBe(5);
    expect(parsed['inference']).toEqual({
      gpu_memory_utilization: 0.5,
      server: { host: '127.0.0.1', port: 8123 },
    });
    const envs = table(parsed['orchestrator'])['env'] as Table[];
    expect(envs).toHaveLength(1);
    expect(table(envs[0]?.['args'])['log_path']).toBe(logPath);
  });

  it.each<[string, Partial<PrimeRlRun>, RegExp]>([
    ['a relative run dir', { runDir: 'runs/r1' }, /runDir must be an absolute path/],
    ['a relative log path', { envLogPath: 'gen.jsonl' }, /envLogPath must be an absolute path/],
    ['no GPU', { gpuIds: [] }, /at least one GPU/],
    ['a GPU twice', { gpuIds: [1, 1] }, /distinct/],
    ['a negative GPU index', { gpuIds: [-1] }, /nvidia-smi indices/],
    ['an env batch size that misattributes steps', { batchSize: 32 }, /must equal the spec's batchSize/],
    ['a start past the last step', { startStep: 5 }, /leaves nothing to run/],
    ['a fractional start step', { startStep: 1.5 }, /non-negative integer/],
    ['a port out of range', { ports: { inference: 0 } }, /ports\.inference must be in 1\.\.65535/],
  ])('refuses %s', (_what, overrides, message) => {
    expect(() => adapter.buildConfig(run(overrides))).toThrow(PrimeRlConfigError);
    expect(() => adapter.buildConfig(run(overrides))).toThrow(message);
  });

  it('refuses a negative resume step', () => {
    expect(() => adapter.resumeArgs(-1)).toThrow(/non-negative integer/);
  });
});
