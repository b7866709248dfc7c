import { fileURLToPath } from 'node:url';

import { AgentConfig } from '../config/agent.config.js';
import { hostEnvironment } from '../runs/child-environment.js';
import { primeRlCheckout } from '../runs/attempt-services.js';
import type { NvmlReaderCommand } from './nvml-reader.js';

/** The reader's script, `apps/gpu-agent/nvml/nvml_reader.py` (src/gpus and dist/gpus sit at the same depth). */
export const NVML_READER_SCRIPT = fileURLToPath(new URL('../../nvml/nvml_reader.py', import.meta.url));

/**
 * The NVML reader on prime-rl's Python, whose virtualenv has nvidia-ml-py (vLLM's dependency):
 * `uv run --no-sync python nvml_reader.py` in the checkout, as prime-rl itself is started. Without
 * secrets: it reads GPUs, nothing else.
 */
export function nvmlReaderCommand(config: AgentConfig): NvmlReaderCommand {
  return {
    file: config.UV_BIN,
    args: ['run', '--no-sync', 'python', NVML_READER_SCRIPT],
    cwd: primeRlCheckout(config),
    env: { ...hostEnvironment(), UV_NO_SYNC: '1', PYTHONUNBUFFERED: '1' },
  };
}
