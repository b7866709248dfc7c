import { validateConfig } from '@brier/config';
import { describe, expect, it } from 'vitest';

import { AgentConfig } from '../config/agent.config.js';
import { childEnvironment } from './child-environment.js';

describe('childEnvironment', () => {
  it("passes the host's environment and the child secrets, never the agent's own settings", () => {
    const config = validateConfig(AgentConfig, {
      AGENT_API_TOKEN: 'agent-secret',
      HF_TOKEN: 'hf_secret',
      REDIS_URL: 'redis://:pw@127.0.0.1:6379',
    });
    const env = childEnvironment(
      config,
      { CUDA_VISIBLE_DEVICES: '1' },
      {
        PATH: '/usr/bin',
        HOME: '/root',
        AGENT_API_TOKEN: 'agent-secret',
        REDIS_URL: 'redis://:pw@x',
        API_URL: 'http://x',
        EVAL_ENDPOINT_API_KEY: 'sk-endpoint',
      },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/root',
      HF_TOKEN: 'hf_secret',
      CUDA_VISIBLE_DEVICES: '1',
    });
  });
});
