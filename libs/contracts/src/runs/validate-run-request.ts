import { plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';

import { CreateRunDto, toSpecInstance, type ValidRunRequest } from './dto/create-run.dto.js';
import type { EvalSpecDto } from './dto/eval-spec.dto.js';
import type { ImportSpecDto } from './dto/import-spec.dto.js';
import type { TrainSpecDto } from './dto/train-spec.dto.js';
import type { RunKind } from './run-kind.js';
import { isPlainObject } from './plain-merge.js';

/** One problem with a request: a dotted path (`spec.batchSize`, `resources.labels`) and what is wrong. */
export interface RunRequestError {
  path: string;
  message: string;
}

export type RunRequestResult =
  { ok: true; value: ValidRunRequest } | { ok: false; errors: RunRequestError[] };

/**
 * class-validator options of every run request check: unknown fields are errors (never silently
 * dropped), and errors never carry the offending value (it may be a megabyte of junk).
 */
export const RUN_REQUEST_VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/** No implicit conversion: "50" is not a number of steps. */
export const RUN_REQUEST_TRANSFORM_OPTIONS: ClassTransformOptions = { enableImplicitConversion: false };

/**
 * Options for Nest's ValidationPipe that make it check a CreateRunDto body exactly as
 * validateRunRequest does. Pair with an exceptionFactory that answers
 * `{ errors: flattenValidationErrors(errors) }` for the same error shape.
 */
export const RUN_REQUEST_PIPE_OPTIONS = {
  ...RUN_REQUEST_VALIDATOR_OPTIONS,
  transform: true,
  transformOptions: RUN_REQUEST_TRANSFORM_OPTIONS,
} as const;

/** Rules about a value's type: when one fails, the value's other rules and contents are noise. */
const TYPE_RULES: ReadonlySet<string> = new Set([
  'isInt',
  'isNumber',
  'isString',
  'isBoolean',
  'isObject',
  'isArray',
]);

/**
 * class-validator's error tree as a flat list, one entry per broken rule, with dotted paths.
 * A value of the wrong type gets only its type error ("maxSteps must be an integer number", not
 * also "must not be greater than 100000"), and nothing about what is inside it. A rule may
 * refine its path through its context (`{ subPath: 'gpuCount' }`).
 */
export function flattenValidationErrors(
  errors: readonly ValidationError[],
  parentPath = '',
): RunRequestError[] {
  const out: RunRequestError[] = [];
  for (const error of errors) {
    const path = parentPath === '' ? error.property : `${parentPath}.${error.property}`;
    const rules = Object.entries(error.constraints ?? {});
    const typeErrors = rules.filter(([rule]) => TYPE_RULES.has(rule));
    for (const [rule, message] of typeErrors.length > 0 ? typeErrors : rules) {
      const subPath = (error.contexts?.[rule] as { subPath?: unknown } | undefined)?.subPath;
      out.push({ path: typeof subPath === 'string' ? `${path}.${subPath}` : path, message });
    }
    if (typeErrors.length === 0) out.push(...flattenValidationErrors(error.children ?? [], path));
  }
  return out;
}

/** Own `__proto__` keys (JSON.parse makes them): class-transformer drops them silently; report them. */
function protoKeyPaths(value: unknown, path: string, out: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) return out;
  for (const key of Object.keys(value)) {
    const child = path === '' ? key : `${path}.${key}`;
    if (key === '__proto__') out.push(child);
    else protoKeyPaths((value as Record<string, unknown>)[key], child, out);
  }
  return out;
}

/**
 * Check a run request as it arrives (JSON already parsed; presets already merged, see
 * resolveRunRequest): class-transformer builds the DTOs (the spec's class chosen by kind,
 * defaults filled in), class-validator checks them with unknown fields forbidden.
 */
export function validateRunRequest(plain: unknown): RunRequestResult {
  if (!isPlainObject(plain)) {
    return { ok: false, errors: [{ path: '', message: 'a run request must be a JSON object' }] };
  }
  const protoKeys = protoKeyPaths(plain, '');
  if (protoKeys.length > 0) {
    return {
      ok: false,
      errors: protoKeys.map((path) => ({ path, message: 'property __proto__ should not exist' })),
    };
  }
  const dto = plainToInstance(CreateRunDto, plain, RUN_REQUEST_TRANSFORM_OPTIONS);
  const errors = validateSync(dto, RUN_REQUEST_VALIDATOR_OPTIONS);
  if (errors.length > 0) return { ok: false, errors: flattenValidationErrors(errors) };
  return { ok: true, value: dto as ValidRunRequest };
}

/** Errors as lines for a terminal or a log: `spec.batchSize: batchSize (1000) must be …`. */
export function formatRunRequestErrors(errors: readonly RunRequestError[]): string {
  return errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`)).join('\n');
}

/** The spec class of each run kind. */
export interface SpecOfKind {
  train: TrainSpecDto;
  eval: EvalSpecDto;
  import: ImportSpecDto;
}

export type RunSpecResult<S> = { ok: true; value: S } | { ok: false; errors: RunRequestError[] };

/**
 * A stored spec checked again on its own (an agent re-validates what it claimed: it may be newer or
 * older than the API that stored it), with the same defaults and rules as a submitted one.
 */
export function validateRunSpec<K extends RunKind>(kind: K, spec: unknown): RunSpecResult<SpecOfKind[K]> {
  if (!isPlainObject(spec))
    return { ok: false, errors: [{ path: 'spec', message: 'spec must be an object' }] };
  const instance = toSpecInstance(kind, spec) as SpecOfKind[K];
  const errors = validateSync(instance, RUN_REQUEST_VALIDATOR_OPTIONS);
  return errors.length === 0
    ? { ok: true, value: instance }
    : { ok: false, errors: flattenValidationErrors(errors, 'spec') };
}
