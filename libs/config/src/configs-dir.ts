import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's `configs/` folder (run presets, prompt templates, prime-rl templates).
 * Resolved from this file's own location, which is `libs/config/src` or `libs/config/dist`,
 * so it works from sources and from the build; `BRIER_CONFIGS_DIR` overrides it.
 */
export function configsDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.BRIER_CONFIGS_DIR;
  if (override !== undefined && override !== '') return resolve(override);
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../configs');
}
