import { readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { configsDir } from '@brier/config';

import type { SetupPlanOptions } from './setup-plan.js';

/** The calibrated_qa package of this checkout (src/setup and dist/setup sit at the same depth). */
export function bundledEnvDir(): string {
  return resolve(fileURLToPath(new URL('../../environments/calibrated_qa', import.meta.url)));
}

/** What `print(calibrated_qa.INSTRUCTIONS[:20])` prints when the installed env has this checkout's prompt. */
export function defaultInstructionsPrefix(template = 'boolq-passage-v1'): string {
  const parsed = JSON.parse(readFileSync(join(configsDir(), 'prompts', `${template}.json`), 'utf8')) as {
    instructions?: unknown;
  };
  if (typeof parsed.instructions !== 'string')
    throw new Error(`prompt template ${template} has no instructions`);
  return parsed.instructions.slice(0, 20);
}

/** Options for this host: its home, its temp dir, sudo unless root, this checkout's env. */
export function hostSetupOptions(
  choices: Pick<SetupPlanOptions, 'version' | 'primeRlDir'> & Partial<SetupPlanOptions>,
): SetupPlanOptions {
  return {
    envDir: bundledEnvDir(),
    homeDir: homedir(),
    downloadDir: join(tmpdir(), 'brier-agent-setup'),
    sudo: process.getuid?.() !== 0,
    expectedInstructionsPrefix: defaultInstructionsPrefix(),
    ...choices,
  };
}
