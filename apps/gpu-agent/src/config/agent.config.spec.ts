import { ConfigError, validateConfig } from '@brier/config';
import { LABEL_PATTERN } from '@brier/contracts';
import { describe, expect, it } from 'vitest';

import { AgentConfig } from './agent.config.js';

/** The config's problems as lines, or [] when it is valid. */
function problems(env: Record<string, string>): string[] {
  try {
    validateConfig(AgentConfig, env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.message.split('\n');
  }
}

describe('AgentConfig AGENT_LABELS', () => {
  it('takes the labels the API takes', () => {
    const labels = ['a100', 'eu-west', 'nvlink_2', 'v0.4', 'x'.repeat(63)];
    expect(labels.every((label) => LABEL_PATTERN.test(label))).toBe(true);
    expect(validateConfig(AgentConfig, { AGENT_LABELS: labels.join(',') }).AGENT_LABELS).toEqual(labels);
  });

  it('refuses what the API would refuse at registration, saying labels are lowercase', () => {
    for (const label of ['A100', 'Spot', 'x'.repeat(64), 'a/b']) {
      expect(LABEL_PATTERN.test(label)).toBe(false);
      expect(problems({ AGENT_LABELS: `a100,${label}` })).toEqual([
        expect.stringMatching(/^AGENT_LABELS: must be a comma-separated list of lowercase labels/) as unknown,
      ]);
    }
  });
});

describe('AgentConfig EVAL_ENDPOINT_API_KEY', () => {
  it('needs the one origin it may be sent to, and never shows the key', () => {
    const lines = problems({ EVAL_ENDPOINT_API_KEY: 'sk-secret-value' });
    expect(lines).toEqual([
      expect.stringMatching(/^EVAL_ENDPOINT_ORIGIN: must be the http\(s\) origin/) as unknown,
    ]);
    expect(lines.join('\n')).not.toContain('sk-secret-value');
    expect(
      problems({ EVAL_ENDPOINT_API_KEY: 'sk-x', EVAL_ENDPOINT_ORIGIN: 'https://api.example.com' }),
    ).toEqual([]);
  });
});

describe('AgentConfig AGENT_GPU_READER', () => {
  it('reads through NVML unless told nvidia-smi, and names the choices when it is neither', () => {
    expect(validateConfig(AgentConfig, {}).AGENT_GPU_READER).toBe('nvml');
    expect(validateConfig(AgentConfig, { AGENT_GPU_READER: 'nvidia-smi' }).AGENT_GPU_READER).toBe(
      'nvidia-smi',
    );
    expect(problems({ AGENT_GPU_READER: 'dcgm' })).toEqual([
      'AGENT_GPU_READER: must be one of nvml, nvidia-smi (got "dcgm")',
    ]);
  });
});
