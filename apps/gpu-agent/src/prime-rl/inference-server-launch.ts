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
  return inferenceServer(server, {
    model: '--model.name',
    gpuMemoryUtilization: '--gpu-memory-utilization',
    dataParallel: '--parallel.dp',
    extra: [],
  });
}

/**
 * prime-rl main (InferenceConfig in packages/prime-rl-configs/…/inference.py at 559b447) moved the
 * engine's settings under `vllm.*` and fronts it with a vllm-router on server.port, the engine
 * on backend_port (server.port + 100, a port the agent never reserved) and the router's metrics
 * on server.port + 21000. `--no-router` (docs/configuration.md: `--no-<name>` turns off a
 * sub-config that is on by default; `router = None` runs "a bare engine on server.port") keeps
 * one process on the one port the agent chose. Several GPUs become vLLM data-parallel replicas, as above.
 */
export function vllmInferenceServer(server: PrimeRlInferenceServer): PrimeRlInferenceLaunch {
  return inferenceServer(server, {
    model: '--vllm.model',
    gpuMemoryUtilization: '--vllm.gpu-memory-utilization',
    dataParallel: '--vllm.data-parallel-size',
    extra: ['--no-router'],
  });
}

/** What a version calls the same settings of its `inference` entry point. */
interface InferenceFlags {
  model: string;
  gpuMemoryUtilization: string;
  dataParallel: string;
  extra: readonly string[];
}

function inferenceServer(server: PrimeRlInferenceServer, flags: InferenceFlags): PrimeRlInferenceLaunch {
  const model = servableModel(server.model);
  checkGpuIds(server.gpuIds, 'an inference server');
  checkPort(server.port);
  const args = ['run', '--no-sync', 'inference', flags.model, model];
  args.push('--server.host', '127.0.0.1', '--server.port', String(server.port));
  args.push(flags.gpuMemoryUtilization, String(GPU_MEMORY_UTILIZATION), ...flags.extra);
  if (server.gpuIds.length > 1) args.push(flags.dataParallel, String(server.gpuIds.length));
  return serverLaunch(server, args, model);
}

function serverLaunch(server: PrimeRlInferenceServer, args: string[], model: string): PrimeRlInferenceLaunch {
  const logDir = join(absolute(server.runDir, 'runDir'), 'inference');
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
