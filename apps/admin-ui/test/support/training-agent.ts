import {
  FAKE_NVIDIA_SMI,
  FAKE_UV,
  fakeGpus,
  spawnAgent,
  tempDir,
  type AgentProcess,
} from '../../../gpu-agent/test/support/agent-process.js';
import { TEST_REDIS_URL, type TestApi } from '../../../api/test/support/test-api.js';

/**
 * A real agent (its own process) with one fake GPU and the fake prime-rl, each step taking
 * `stepSeconds`: slow enough for a page to show the steps arrive one by one. Stopped by
 * cleanupAgents().
 */
export function startTrainingAgent(api: TestApi, name: string, stepSeconds: number): AgentProcess {
  return spawnAgent({
    API_URL: api.url,
    REDIS_URL: TEST_REDIS_URL,
    BRIER_QUEUE_PREFIX: api.queuePrefix,
    AGENT_NAME: name,
    AGENT_WORK_DIR: tempDir(),
    UV_BIN: FAKE_UV,
    PRIME_RL_DIR: tempDir('brier-prime-rl-'),
    NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
    FAKE_NVIDIA_SMI_STATE: fakeGpus(1),
    FAKE_PRIME_RL_STEP_SECONDS: String(stepSeconds),
    RUN_STOP_GRACE_MS: '2000',
    AGENT_HANDBACK_DELAY_MS: '300',
    AGENT_JOB_LOCK_MS: '2000',
  });
}
