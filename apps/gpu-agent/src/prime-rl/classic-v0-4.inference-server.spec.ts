import { describe, expect, it } from 'vitest';

import { ClassicV040Adapter } from './classic-v0-4.adapter.js';
import { PrimeRlConfigError, type PrimeRlInferenceServer } from './prime-rl-adapter.js';

const adapter = new ClassicV040Adapter();

function server(overrides: Partial<PrimeRlInferenceServer> = {}): PrimeRlInferenceServer {
  return { model: 'google/gemma-2-2b-it', gpuIds: [3], port: 41234, runDir: '/work/runs/e1', ...overrides };
}

describe('ClassicV040Adapter.buildInferenceServer', () => {
  it("starts v0.4.0's inference entry point through uv without syncing, on localhost only", () => {
    const launch = adapter.buildInferenceServer(server());
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
    expect(launch.servedModel).toBe('google/gemma-2-2b-it');
    expect(launch.stdoutPath).toBe('/work/runs/e1/inference/inference.stdout');
    expect(launch.stderrPath).toBe('/work/runs/e1/inference/inference.stderr');
  });

  it('puts the server on the reserved physical GPUs, in nvidia-smi order', () => {
    const { env } = adapter.buildInferenceServer(server({ gpuIds: [5, 2] }));
    expect(env).toMatchObject({
      CUDA_VISIBLE_DEVICES: '5,2',
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      UV_NO_SYNC: '1',
    });
  });

  it('makes one data-parallel replica per GPU', () => {
    expect(adapter.buildInferenceServer(server({ gpuIds: [0, 1, 2] })).args.slice(-2)).toEqual([
      '--parallel.dp',
      '3',
    ]);
    expect(adapter.buildInferenceServer(server()).args).not.toContain('--parallel.dp');
  });

  it('serves a checkpoint by its absolute path, which is then the model name', () => {
    const weights = '/work/runs/t1/attempt-1/rl/weights/step_50';
    const launch = adapter.buildInferenceServer(server({ model: weights }));
    expect(launch.args[launch.args.indexOf('--model.name') + 1]).toBe(weights);
    expect(launch.servedModel).toBe(weights);
  });

  it('keeps a hostile model string one argument value', () => {
    const model = '/runs/x; rm -rf / --server.port 1';
    const { args } = adapter.buildInferenceServer(server({ model }));
    expect(args[args.indexOf('--model.name') + 1]).toBe(model);
    expect(args.filter((arg) => arg === '--server.port')).toHaveLength(1);
  });

  it.each([
    ['a flag for a model', { model: '--help' }, /Hugging Face id or an absolute path/],
    ['an empty model', { model: '' }, /Hugging Face id/],
    ['a control character', { model: 'org/name\n--x' }, /Hugging Face id/],
    ['a relative path', { model: './weights/step_1' }, /must be absolute/],
    ['no GPU', { gpuIds: [] }, /needs at least one GPU/],
    ['a GPU twice', { gpuIds: [1, 1] }, /distinct/],
    ['a negative GPU', { gpuIds: [-1] }, /nvidia-smi indices/],
    ['port 0', { port: 0 }, /port must be in 1\.\.65535/],
    ['a port too large', { port: 70_000 }, /port must be/],
    ['a relative run dir', { runDir: 'runs/e1' }, /runDir must be an absolute path/],
  ])('refuses %s', (_what, overrides: Partial<PrimeRlInferenceServer>, message) => {
    expect(() => adapter.buildInferenceServer(server(overrides))).toThrow(PrimeRlConfigError);
    expect(() => adapter.buildInferenceServer(server(overrides))).toThrow(message);
  });
});
