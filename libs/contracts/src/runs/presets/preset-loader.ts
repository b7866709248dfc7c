import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { listPresetNames, presetExists, presetsDir } from '../config-catalog.js';
import type { RunKind } from '../run-kind.js';
import { isPlainObject } from '../plain-merge.js';
import { validateRunRequest, type RunRequestError } from '../validate-run-request.js';
import { PRESET_NAME_PATTERN } from '../validation/limits.js';
import { InvalidPresetError, UnknownPresetError } from './preset-errors.js';

/**
 * A named starting point for a run, stored as configs/presets/<name>.json. `resources` and `spec`
 * are kept as written (not defaulted): they are merged under a request before it is validated.
 */
export interface RunPreset {
  name: string;
  description: string;
  kind: RunKind;
  resources: Record<string, unknown>;
  spec: Record<string, unknown>;
}

const PRESET_KEYS = ['name', 'description', 'kind', 'resources', 'spec'] as const;

/** Checked presets by path, valid while the file keeps its size and modification time. */
const checkedPresets = new Map<string, { stamp: string; preset: RunPreset }>();

/**
 * Read and check one preset: the file must hold exactly {name, description, kind, resources,
 * spec}, its name must be its file name, and it must be a valid run request as it stands.
 * Throws UnknownPresetError (listing the available ones) or InvalidPresetError.
 */
export function loadPreset(name: string): RunPreset {
  if (!PRESET_NAME_PATTERN.test(name) || !presetExists(name)) {
    throw new UnknownPresetError(shown(name), listPresetNames());
  }
  const path = join(presetsDir(), `${name}.json`);
  const stat = statSync(path, { throwIfNoEntry: false });
  const stamp = `${stat?.size}:${stat?.mtimeMs}`;
  const cached = checkedPresets.get(path);
  if (cached?.stamp === stamp) return structuredClone(cached.preset);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidPresetError(name, [
      { path: '', message: `not readable JSON: ${(error as Error).message}` },
    ]);
  }
  const problems = shapeProblems(name, parsed);
  if (problems.length > 0) throw new InvalidPresetError(name, problems);
  const preset = parsed as RunPreset;
  const checked = validateRunRequest({
    name: preset.name,
    description: preset.description,
    kind: preset.kind,
    resources: preset.resources,
    spec: preset.spec,
  });
  if (!checked.ok) throw new InvalidPresetError(name, checked.errors);
  checkedPresets.set(path, { stamp, preset: structuredClone(preset) });
  return preset;
}

/** Every preset in configs/presets/, by name. Throws on the first broken one. */
export function listPresets(): RunPreset[] {
  return listPresetNames().map((name) => loadPreset(name));
}

function shapeProblems(name: string, value: unknown): RunRequestError[] {
  if (!isPlainObject(value)) return [{ path: '', message: 'a preset must be a JSON object' }];
  const problems: RunRequestError[] = [];
  for (const key of Object.keys(value)) {
    if (!(PRESET_KEYS as readonly string[]).includes(key)) {
      problems.push({ path: key, message: `property ${key} should not exist` });
    }
  }
  if (value['name'] !== name)
    problems.push({ path: 'name', message: `name must be '${name}', its file name` });
  if (typeof value['description'] !== 'string')
    problems.push({ path: 'description', message: 'description must be a string' });
  for (const key of ['resources', 'spec']) {
    if (!isPlainObject(value[key])) problems.push({ path: key, message: `${key} must be an object` });
  }
  return problems;
}

/** A name as it may appear in a message: short, and only when it looks like a name. */
function shown(name: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(name) ? name : JSON.stringify(name.slice(0, 64));
}
