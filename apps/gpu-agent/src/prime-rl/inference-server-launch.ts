import { join } from 'node:path';

import { GPU_MEMORY_UTILIZATION } from './calibrated-qa-run.js';
import { absolute, checkGpuIds, checkPort, servableModel } from './launch-checks.js';
import type { PrimeRlInferenceLaunch, PrimeRlInferenceServer } from './prime-rl-adapter.js';

/**
 * `uv run --no-sync inference --model.name <model> --server.host 127.0.0.1 --server.port <port>
 * --gpu-memory-utilization 0.9 [--parallel.dp N]`: the same flags at v0.4.0 (InferenceConfig in
 * src/prime_rl/inference/config.py at f870f3c) and v0.6.0 (packages/prime-rl-configs/…/inference.py
 * at 38494cc, single-node deployment: no router, vLLM on server.port). vLLM serves the model
 * under the name it was given, so a checkpoint is addressed by its path. Several GPUs become
 * data-parallel replicas (a 2B model gains nothing from tensor parallelism). 127.0.0.1: only
 * this agent talks to it.
 */
export function standaloneInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
  const model = servableModel(server.model);
  checkGpuIds(server.gpuIds, 'an inference server');
  checkPort(server.port);
  const logDir = join(absolute(server.runDir, 'runDir'), 'inference');
  const args = [
    'run',
    '--no-sync',
    'inference',
    '--model.name',
    model,
    '--server.host',
    '127.0.0.1',
    '--server.port',
    String(server.port),
    '--gpu-memory-utilization',
    String(GPU_MEMORY_UTILIZATION),
  ];
  if (server.gpuIds.length > 1) args.push('--parallel.dp', String(server.gpuIds.length));
  return {
    args,
    env: {
      CUDA_VISIBLE_DEVICES: server.gpuIds.join(','),
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      UV_NO_SYNC: '1',
      PYTHONUNBUFFERED: '1',
    },
    stdoutPath: join(logDir, 'inference.stdout'),
    stderrPath: join(logDir, 'inference.stderr'),
    servedModel: model,
  };
}
