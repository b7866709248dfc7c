import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { PromptTemplate } from '@brier/calibration';
import { configsDir } from '@brier/config';
import { promptTemplateProblem } from '@brier/contracts';

import { EvaluationError } from './evaluation-error.js';

/**
 * configs/prompts/<name>.json, the same file the calibrated_qa environment renders training
 * prompts from, so a model is evaluated on the bytes it was trained on. The name and the file
 * are checked by the contracts' catalog (the rules the API validated the spec with).
 */
export async function loadPromptTemplate(name: string): Promise<PromptTemplate> {
  const problem = promptTemplateProblem(name);
  if (problem !== null) throw new EvaluationError('bad-input', `prompt template: ${problem}`);
  const text = await readFile(join(configsDir(), 'prompts', `${name}.json`), 'utf8');
  return JSON.parse(text) as PromptTemplate;
}
