import { declaredKeys } from '@brier/config';

import { AgentConfig } from '../config/agent.config.js';

/** Secrets of the host that prime-rl's children need (the Hugging Face hub, W&B). */
const CHILD_SECRETS = ['HF_TOKEN', 'WANDB_API_KEY'] as const;

/**
 * The environment a run's processes get: the host's, minus the agent's own settings (its API
 * token and URLs are none of prime-rl's business), plus the child secrets from the agent's
 * validated config, plus what the run adds (CUDA_VISIBLE_DEVICES, …).
 */
export function childEnvironment(
  config: AgentConfig,
  extra: Record<string, string>,
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env = hostEnvironment(hostEnv);
  for (const key of CHILD_SECRETS) {
    const value = config[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...extra };
}

/** The host's environment without the agent's own settings (and so without any of its secrets). */
export function hostEnvironment(hostEnv: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const agentKeys = declaredKeys(AgentConfig);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(hostEnv)) {
    if (value !== undefined && !agentKeys.has(key)) env[key] = value;
  }
  return env;
}
