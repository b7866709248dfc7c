import { isPlainObject, mergeUnder } from '../plain-merge.js';
import { validateRunRequest, type RunRequestError, type RunRequestResult } from '../validate-run-request.js';
import { PRESET_NAME_PATTERN } from '../validation/limits.js';
import { InvalidPresetError, UnknownPresetError } from './preset-errors.js';
import { loadPreset } from './preset-loader.js';

/** Paths where a request's object replaces the preset's instead of merging into it. */
const REPLACED_PATHS: ReadonlySet<string> = new Set(['spec.target']);

export type ResolvedRunRequest = { ok: true; value: unknown } | { ok: false; errors: RunRequestError[] };

/**
 * The request with its preset (if it names one) merged underneath: the preset gives kind,
 * resources, spec and a default name; every field the request sets wins, nested objects merge
 * field by field, arrays are replaced, and so is an eval's target (one of model, checkpoint,
 * endpoint: a request naming a checkpoint must not inherit the preset's model). Nothing is validated here except the preset itself: pass
 * the result to validateRunRequest (or use parseRunRequest, which does both). A request that is
 * not an object, or whose preset field is malformed, is returned unchanged for validation to
 * report.
 */
export function resolveRunRequest(request: unknown): ResolvedRunRequest {
  if (!isPlainObject(request)) return { ok: true, value: request };
  const name = request['preset'];
  if (typeof name !== 'string' || !PRESET_NAME_PATTERN.test(name))
    return { ok: true, value: mergeUnder({}, request) };
  let preset;
  try {
    preset = loadPreset(name);
  } catch (error) {
    if (error instanceof UnknownPresetError)
      return { ok: false, errors: [{ path: 'preset', message: error.message }] };
    if (error instanceof InvalidPresetError) {
      return {
        ok: false,
        errors: [{ path: 'preset', message: `preset '${name}' is broken: ${error.message}` }],
      };
    }
    throw error;
  }
  const kind = request['kind'];
  if (kind !== undefined && kind !== preset.kind) {
    const got = typeof kind === 'string' && kind.length <= 16 ? `'${kind}'` : 'another kind';
    return {
      ok: false,
      errors: [{ path: 'kind', message: `kind must be '${preset.kind}' for preset '${name}' (got ${got})` }],
    };
  }
  const base = { name: preset.name, kind: preset.kind, resources: preset.resources, spec: preset.spec };
  return { ok: true, value: mergeUnder(base, request, REPLACED_PATHS) };
}

/** resolveRunRequest, then validateRunRequest: what the API, the CLI and the admin panel call. */
export function parseRunRequest(request: unknown): RunRequestResult {
  const resolved = resolveRunRequest(request);
  return resolved.ok ? validateRunRequest(resolved.value) : resolved;
}
