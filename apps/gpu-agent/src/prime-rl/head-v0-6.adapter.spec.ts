import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { parseRunRequest, type TrainSpecDto } from '@brier/contracts';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

import { ClassicV040Adapter } from './classic-v0-4.adapter.js';
import { deploymentGpuCounts } from './deployment-schema.js';
import { HeadV060Adapter } from './head-v0-6.adapter.js';
import { PrimeRlConfigError, type PrimeRlRun } from './prime-rl-adapter.js';

const adapter = new HeadV060Adapter();
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
    ports: { inference: 8123 },
    envLogPath: '/work/runs/r1/attempt-1/rollouts.jsonl',
    startStep: 0,
    ...overrides,
  };
}

type Table = Record<string, unknown>;
const table = (value: unknown): Table => (value ?? {}) as Table;

/** `--key value` pairs after the config path. */
function overrides(args: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = args.indexOf('@') + 2; i < args.length; i += 2) map.set(args[i] ?? '', args[i + 1] ?? '');
  return map;
}

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

/** The same concepts read from a v0.6.0 launch with v0.6.0's keys (RLConfig, OrchestratorConfig at 38494cc). */
function headConcepts(toml: string, args: readonly string[]): Table {
  const config = parse(toml) as Table;
  const orchestrator = table(config['orchestrator']);
  const train = table(orchestrator['train']);
  const deployment = table(config['deployment']);
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
    envIds: ((train['env'] ?? []) as Table[]).map((env) => env['id']),
    lr: table(table(config['trainer'])['optim'])['lr'],
    checkpoints: config['ckpt'] !== undefined,
    checkpointInterval: table(config['ckpt'])['interval'] ?? null,
    vllm: config['inference'] !== undefined,
    gpuMemoryUtilization: table(config['inference'])['gpu_memory_utilization'],
    wandbOffline:
      overrides(args).get('--wandb.offline') === 'true' && table(config['wandb'])['offline'] === true,
  };
}

describe('HeadV060Adapter: the seed preset', () => {
  const seedRun = run({ spec: trainSpec('seed-gemma2-2b-boolq'), gpuIds: [0, 1] });
  const launch = adapter.buildConfig(seedRun);
  const ours = parse(launch.toml) as Table;

  it("says what the seed's configuration (seed-spec §6) said, in v0.6.0's keys", () => {
    expect(headConcepts(launch.toml, launch.args)).toEqual(seedConcepts());
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

  it('leaves the classic keys behind: v0.6.0 would refuse them as unknown', () => {
    expect(ours).not.toHaveProperty('inference_gpu_ids');
    expect(ours).not.toHaveProperty('trainer_gpu_ids');
    expect(ours).not.toHaveProperty('max_async_level');
    expect(table(ours['orchestrator'])).not.toHaveProperty('rollouts_per_example');
    expect(table(ours['orchestrator'])).not.toHaveProperty('sampling');
    expect(table(ours['orchestrator'])).not.toHaveProperty('env');
  });

  it('runs synchronous max_async_level 0 as the nearest v0.6.0 has: at most one step off-policy', () => {
    expect(seedRun.spec.maxAsyncLevel).toBe(0);
    expect(table(ours['orchestrator'])['max_off_policy_steps']).toBe(1);
  });

  it('gives the env the same arguments as the classic adapter (one calibrated-qa, one rollout log)', () => {
    const classic = parse(new ClassicV040Adapter().buildConfig(seedRun).toml) as Table;
    const classicEnv = (table(classic['orchestrator'])['env'] as Table[])[0];
    const headEnvs = table(table(ours['orchestrator'])['train'])['env'] as Table[];
    expect(headEnvs).toEqual([classicEnv]);
    expect(table(headEnvs[0]?.['args'])).toMatchObject({ batch_size: 1024, start_step: 0 });
  });
});

describe('HeadV060Adapter.buildConfig', () => {
  it('writes the whole v0.6.0 config for smoke-tiny on two GPUs', () => {
    const launch = adapter.buildConfig(run({ gpuIds: [3, 4] }));
    expect(parse(launch.toml)).toEqual({
      output_dir: '/work/runs/r1/rl',
      max_steps: 5,
      seq_len: 2048,
      deployment: { num_infer_gpus: 1, num_train_gpus: 1 },
      model: { name: 'google/gemma-2-2b-it' },
      wandb: { project: 'brier', offline: true },
      trainer: { optim: { lr: 1e-6 } },
      orchestrator: {
        batch_size: 64,
        group_size: 8,
        max_off_policy_steps: 1,
        renderer: { name: 'default' },
        train: {
          sampling: { max_completion_tokens: 512, temperature: 1 },
          env: [
            {
              id: 'calibrated-qa',
              args: {
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
            },
          ],
        },
        client: { base_url: ['http://127.0.0.1:8123/v1'] },
      },
      inference: { gpu_memory_utilization: 0.9, server: { host: '127.0.0.1', port: 8123 } },
      ckpt: { interval: 1 },
    });
  });

  it("points the orchestrator at this attempt's own vLLM port, never prime-rl's shared 8000", () => {
    const config = parse(adapter.buildConfig(run({ ports: { inference: 41_007 } })).toml) as Table;
    expect(table(config['inference'])['server']).toEqual({ host: '127.0.0.1', port: 41_007 });
    expect(table(config['orchestrator'])['client']).toEqual({ base_url: ['http://127.0.0.1:41007/v1'] });
  });

  it('launches through uv without syncing and watches v0.6.0 log and checkpoint paths', () => {
    const launch = adapter.buildConfig(run());
    expect(launch.configPath).toBe('/work/runs/r1/rl.toml');
    expect(launch.args).toEqual([
      'run',
      '--no-sync',
      'rl',
      '@',
      '/work/runs/r1/rl.toml',
      '--output-dir',
      '/work/runs/r1/rl',
      '--wandb.offline',
      'true',
    ]);
    expect(launch.layout).toEqual({
      outputDir: '/work/runs/r1/rl',
      orchestratorLog: '/work/runs/r1/rl/logs/orchestrator.log',
      trainerLog: '/work/runs/r1/rl/logs/trainer.log',
      inferenceLog: '/work/runs/r1/rl/logs/inference.log',
      launcherLog: '/work/runs/r1/rl/logs/rl.log',
      checkpointsDir: '/work/runs/r1/rl/checkpoints',
      weightsDir: '/work/runs/r1/rl/weights',
    });
    expect(adapter.logFormat).toBe('head');
  });

  it('splits the reserved GPUs by count: the launcher maps CUDA_VISIBLE_DEVICES in order, vLLM first', () => {
    const four = adapter.buildConfig(run({ gpuIds: [2, 5, 6, 7] }));
    expect((parse(four.toml) as Table)['deployment']).toEqual({ num_infer_gpus: 1, num_train_gpus: 3 });
    expect(four.env).toEqual({
      CUDA_VISIBLE_DEVICES: '2,5,6,7',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      UV_NO_SYNC: '1',
      PYTHONUNBUFFERED: '1',
      WANDB_MODE: 'offline',
    });
    expect(deploymentGpuCounts([1, 0], 'v0.6.0')).toEqual({ num_infer_gpus: 1, num_train_gpus: 1 });
  });

  it('resumes: start_step for the env and --ckpt.resume-step for prime-rl', () => {
    const launch = adapter.buildConfig(run({ startStep: 3 }));
    expect(launch.args.slice(-2)).toEqual(['--ckpt.resume-step', '3']);
    expect(adapter.resumeArgs(3)).toEqual(['--ckpt.resume-step', '3']);
    const env = (table(table((parse(launch.toml) as Table)['orchestrator'])['train'])['env'] as Table[])[0];
    expect(table(env?.['args'])['start_step']).toBe(3);
    expect(adapter.buildConfig(run()).args).not.toContain('--ckpt.resume-step');
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
    const logPath = '/tmp/a\'b"c\n[[orchestrator.train.env]]\nid = "x".jsonl';
    const launch = adapter.buildConfig(run({ spec: { ...spec, model }, envLogPath: logPath }));
    const parsed = parse(launch.toml) as Table;
    expect(table(parsed['model'])['name']).toBe(model);
    expect(parsed['max_steps']).toBe(5);
    expect(parsed['deployment']).toEqual({ num_infer_gpus: 1, num_train_gpus: 1 });
    const envs = table(table(parsed['orchestrator'])['train'])['env'] as Table[];
    expect(envs).toHaveLength(1);
    expect(table(envs[0]?.['args'])['log_path']).toBe(logPath);
  });

  it.each<[string, Partial<PrimeRlRun>, RegExp]>([
    ['one GPU (v0.6.0 never shares one between vLLM and the trainer)', { gpuIds: [0] }, /needs at least 2/],
    ['no GPU', { gpuIds: [] }, /at least one GPU/],
    ['a GPU twice', { gpuIds: [1, 1] }, /distinct/],
    ['a negative GPU index', { gpuIds: [-1, 0] }, /nvidia-smi indices/],
    ['a relative run dir', { runDir: 'runs/r1' }, /runDir must be an absolute path/],
    ['a relative log path', { envLogPath: 'gen.jsonl' }, /envLogPath must be an absolute path/],
    ['an env batch size that misattributes steps', { batchSize: 32 }, /must equal the spec's batchSize/],
    ['a start past the last step', { startStep: 5 }, /leaves nothing to run/],
    [
      'an async level v0.6.0 has no key for',
      { spec: { ...trainSpec('smoke-tiny'), maxAsyncLevel: 2 } },
      /no max_async_level: maxAsyncLevel 2 cannot be expressed/,
    ],
  ])('refuses %s', (_what, overrides, message) => {
    expect(() => adapter.buildConfig(run(overrides))).toThrow(PrimeRlConfigError);
    expect(() => adapter.buildConfig(run(overrides))).toThrow(message);
  });

  it('refuses a negative resume step', () => {
    expect(() => adapter.resumeArgs(-1)).toThrow(PrimeRlConfigError);
  });
});

describe('HeadV060Adapter.buildInferenceServer', () => {
  const server = { model: 'google/gemma-2-2b-it', gpuIds: [3], port: 41234, runDir: '/work/runs/e1' };

  it("starts v0.6.0's inference entry point on localhost, on the reserved GPUs", () => {
    const launch = adapter.buildInferenceServer(server);
    expect(launch.args).toEqual([
      'run',
      '--no-sync',
      'inference',
      '--model.name',
      'google/gemma-2-2b-it',
      '--server.host',
      '127.0.0.1',
      '--server.port',
      '41234',
      '--gpu-memory-utilization',
      '0.9',
    ]);
    expect(launch.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '3', UV_NO_SYNC: '1' });
    expect(adapter.buildInferenceServer({ ...server, gpuIds: [0, 1] }).args.slice(-2)).toEqual([
      '--parallel.dp',
      '2',
    ]);
  });

  it('serves a checkpoint by its weights path and refuses a relative one', () => {
    const weights = '/work/runs/t1/rl/weights/step_50';
    expect(adapter.buildInferenceServer({ ...server, model: weights }).servedModel).toBe(weights);
    expect(() => adapter.buildInferenceServer({ ...server, model: './weights/step_1' })).toThrow(
      PrimeRlConfigError,
    );
  });
});
