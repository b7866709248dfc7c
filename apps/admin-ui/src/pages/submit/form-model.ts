import type { FieldMessage, Preset } from '../../api/types.js';

/**
 * The submit form as data: a preset's fields (every leaf of its resources and spec) with the
 * preset's values as defaults, and the request built from what was changed. The API merges the
 * preset under the request and validates the whole (libs/contracts), so the form sends only the
 * changes and shows the API's own messages next to the fields they name.
 */
export type FieldType = 'number' | 'text' | 'boolean' | 'list';

export interface FormField {
  /** Dotted path in the request, e.g. `spec.dataset.seed` (what the API's 400 names). */
  path: string;
  type: FieldType;
  /** The preset's value (null where the preset has none). */
  initial: unknown;
}

export type FormValues = Readonly<Record<string, string | boolean>>;

/** Resource fields every run request has, whether or not the preset sets them. */
const RESOURCE_DEFAULTS: Readonly<Record<string, unknown>> = { gpuCount: null, gpuType: null, labels: [] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): FieldType {
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'list';
  return 'text';
}

function leaves(value: Record<string, unknown>, prefix: string, out: FormField[]): void {
  for (const [key, inner] of Object.entries(value)) {
    const path = `${prefix}.${key}`;
    if (isObject(inner)) leaves(inner, path, out);
    else out.push({ path, type: typeOf(inner), initial: inner });
  }
}

/** The form's fields for a preset: resources first, then the spec, in the preset's order. */
export function presetFields(preset: Preset): FormField[] {
  const fields: FormField[] = [];
  leaves({ ...RESOURCE_DEFAULTS, ...preset.resources }, 'resources', fields);
  const gpuCount = fields.find((f) => f.path === 'resources.gpuCount');
  if (gpuCount) gpuCount.type = 'number';
  leaves(preset.spec, 'spec', fields);
  return fields;
}

/** What an input shows for a value. */
export function displayValue(field: FormField, value: unknown): string | boolean {
  if (field.type === 'boolean') return value === true;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

export function initialValues(fields: readonly FormField[]): Record<string, string | boolean> {
  return Object.fromEntries(fields.map((field) => [field.path, displayValue(field, field.initial)]));
}

/**
 * What an input's text means. Nothing is judged here: a number field with letters is sent as
 * text, and the API says what is wrong with it.
 */
export function parseValue(field: FormField, raw: string | boolean): unknown {
  if (field.type === 'boolean') return raw === true;
  const text = String(raw).trim();
  if (field.type === 'list') return text === '' ? [] : text.split(',').map((part) => part.trim());
  if (text === '') return null;
  if (field.type === 'number') {
    const number = Number(text);
    return Number.isFinite(number) ? number : text;
  }
  return text;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const inner = isObject(target[head]) ? target[head] : {};
  target[head] = inner;
  setPath(inner, rest, value);
}

/** `override` laid over `base`, objects merged key by key (the extra JSON over the fields). */
function deepMerge(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

export interface RunRequestInput {
  preset: Preset;
  fields: readonly FormField[];
  values: FormValues;
  name: string;
  description: string;
  /** Further spec fields as a JSON object (the "other fields" box), or undefined. */
  extraSpec?: Record<string, unknown>;
}

/** POST /v1/runs's body: the preset's name, the name, and every field that differs from the preset. */
export function buildRunRequest(input: RunRequestInput): Record<string, unknown> {
  const request: Record<string, unknown> = { preset: input.preset.name, name: input.name.trim() };
  if (input.description.trim() !== '') request['description'] = input.description.trim();
  for (const field of input.fields) {
    const raw = input.values[field.path];
    if (raw === undefined) continue;
    const value = parseValue(field, raw);
    if (JSON.stringify(value) === JSON.stringify(field.initial ?? (field.type === 'list' ? [] : null)))
      continue;
    setPath(request, field.path.split('.'), value);
  }
  if (input.extraSpec && Object.keys(input.extraSpec).length > 0) {
    const spec = isObject(request['spec']) ? request['spec'] : {};
    request['spec'] = deepMerge(spec, input.extraSpec);
  }
  return request;
}

/** The "other spec fields" box: empty, or a JSON object; otherwise why not. */
export function parseExtraSpec(
  text: string,
): { ok: true; value?: Record<string, unknown> } | { ok: false; message: string } {
  if (text.trim() === '') return { ok: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  return isObject(value)
    ? { ok: true, value }
    : { ok: false, message: 'must be a JSON object, e.g. {"checkpointInterval": 5}' };
}

export interface PlacedErrors {
  /** Messages by field path (each message once). */
  byField: Map<string, string[]>;
  /** Messages no field shows (the whole body, or a field the form does not have). */
  general: FieldMessage[];
}

/**
 * Puts each of the API's field messages next to its field: the field of that path, else the
 * deepest field the path is inside (`spec.dataset` → none; `spec.reward.highFraction` → itself).
 */
export function placeErrors(errors: readonly FieldMessage[], fieldPaths: readonly string[]): PlacedErrors {
  const byField = new Map<string, string[]>();
  const general: FieldMessage[] = [];
  for (const error of errors) {
    const owner =
      fieldPaths.find((path) => path === error.path) ??
      [...fieldPaths].sort((a, b) => b.length - a.length).find((path) => error.path.startsWith(`${path}.`));
    if (owner === undefined) {
      general.push(error);
      continue;
    }
    const list = byField.get(owner) ?? [];
    if (!list.includes(error.message)) list.push(error.message);
    byField.set(owner, list);
  }
  return { byField, general };
}
