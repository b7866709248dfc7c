// `npm start -- --demo`: the local agent drives a simulated prime-rl on two simulated GPUs, so a
// machine without a GPU can run the whole loop (submit smoke-tiny, watch it train, cancel it).
// The agent's code path is the production one; only `uv` and `nvidia-smi` are the test fixtures
// (apps/gpu-agent/test/fixtures: same CLI, TOML, logs, rollout files and signals as prime-rl v0.4.0).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Extra environment of the local agent in demo mode. */
export function demoAgentEnv(root, dataDir) {
  const fixtures = join(root, 'apps', 'gpu-agent', 'test', 'fixtures');
  const primeRlDir = join(dataDir, 'demo-prime-rl');
  mkdirSync(primeRlDir, { recursive: true });
  return {
    AGENT_NAME: 'demo-agent',
    AGENT_LABELS: 'demo',
    UV_BIN: join(fixtures, 'fake-prime-rl', 'uv'),
    PRIME_RL_DIR: primeRlDir,
    NVIDIA_SMI_BIN: join(fixtures, 'bin', 'nvidia-smi'),
    FAKE_NVIDIA_SMI_STATE: join(fixtures, 'gpus', 'h100x2.json'),
    // A step every few seconds: slow enough to watch, fast enough to finish.
    FAKE_PRIME_RL_STEP_SECONDS: process.env.FAKE_PRIME_RL_STEP_SECONDS || '3',
  };
}
