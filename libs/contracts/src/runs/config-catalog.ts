import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { promptTemplateErrors } from '@brier/calibration';
import { configsDir } from '@brier/config';

import { PRESET_NAME_PATTERN, PROMPT_TEMPLATE_NAME_PATTERN } from './validation/limits.js';

/**
 * What exists in configs/ (prompt templates, run presets), read with node:fs from `configsDir()`
 * at each call, so BRIER_CONFIGS_DIR is honoured everywhere (validators included). A name is
 * checked against its pattern before any path is built from it: nothing outside configs/ is read.
 */

export function promptsDir(): string {
  return join(configsDir(), 'prompts');
}

export function presetsDir(): string {
  return join(configsDir(), 'presets');
}

/** Names of the `<name>.json` files in a folder whose names fit `pattern`, sorted. */
function jsonNames(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .filter((name) => pattern.test(name))
    .sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function listPresetNames(): string[] {
  return jsonNames(presetsDir(), PRESET_NAME_PATTERN);
}

export function presetExists(name: string): boolean {
  return PRESET_NAME_PATTERN.test(name) && isFile(join(presetsDir(), `${name}.json`));
}

export function listPromptTemplateNames(): string[] {
  return jsonNames(promptsDir(), PROMPT_TEMPLATE_NAME_PATTERN);
}

/** Templates are never edited (a change is a new name), so a usable one is remembered by path. */
const usableTemplates = new Set<string>();

/**
 * Why `name` is not a usable prompt template, or null when configs/prompts/<name>.json exists,
 * is a valid template (libs/calibration's promptTemplateErrors) and carries its own name.
 */
export function promptTemplateProblem(name: string): string | null {
  if (!PROMPT_TEMPLATE_NAME_PATTERN.test(name)) return 'must be a template name: [a-z0-9._-], at most 64';
  const path = join(promptsDir(), `${name}.json`);
  if (usableTemplates.has(path)) return null;
  if (!isFile(path)) {
    const available = listPromptTemplateNames();
    return `'${name}' is not a prompt template in configs/prompts (available: ${available.join(', ') || 'none'})`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return `configs/prompts/${name}.json is not valid JSON (${(error as Error).message})`;
  }
  const errors = promptTemplateErrors(parsed);
  if (errors.length === 0 && (parsed as { name: unknown }).name !== name) {
    errors.push(`its name field must be '${name}'`);
  }
  if (errors.length > 0) return `configs/prompts/${name}.json is not a usable template: ${errors.join('; ')}`;
  usableTemplates.add(path);
  return null;
}
