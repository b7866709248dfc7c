import { ValidateBy, type ValidationOptions } from 'class-validator';

import { relativePathProblem, utf8Bytes } from './agent-limits.js';

/**
 * class-validator decorators of the agent-facing DTOs. Messages start with the property name, as
 * class-validator's own do.
 */

/** A string of at most `max` UTF-8 bytes (class-validator's MaxLength counts UTF-16 units). */
export function MaxUtf8Bytes(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxUtf8Bytes',
      constraints: [max],
      validator: {
        validate: (value) => typeof value !== 'string' || utf8Bytes(value) <= max,
        defaultMessage: () => `$property must be at most ${max} bytes of UTF-8`,
      },
    },
    options,
  );
}

/** No NUL character: Postgres text cannot store one (the agent replaces it with U+FFFD). */
export function HasNoNul(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoNul',
      validator: {
        validate: (value) => typeof value !== 'string' || !value.includes('\u0000'),
        defaultMessage: () => '$property must not contain NUL characters (replace them with U+FFFD)',
      },
    },
    options,
  );
}

/** A path relative to the run's directory with no `..` (see relativePathProblem). */
export function IsSafeRelativePath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSafeRelativePath',
      validator: {
        validate: (value) => typeof value === 'string' && relativePathProblem(value) === null,
        defaultMessage: (args) =>
          `$property ${typeof args?.value === 'string' ? (relativePathProblem(args.value) ?? 'is invalid') : 'must be a string'}`,
      },
    },
    options,
  );
}

/** A JSON object whose serialized form is at most `max` bytes. */
export function IsSmallJsonObject(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isSmallJsonObject',
      constraints: [max],
      validator: {
        validate: (value) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          utf8Bytes(JSON.stringify(value)) <= max,
        defaultMessage: () => `$property must be a JSON object of at most ${max} bytes`,
      },
    },
    options,
  );
}

/** An object of counts: `{ "gibberish": 2 }`, at most `maxKeys` keys of at most 64 characters. */
export function IsCountRecord(maxKeys: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCountRecord',
      constraints: [maxKeys],
      validator: {
        validate: (value) => {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= maxKeys &&
            entries.every(
              ([key, count]) =>
                key.length > 0 && key.length <= 64 && Number.isSafeInteger(count) && (count as number) >= 0,
            )
          );
        },
        defaultMessage: () =>
          `$property must be an object of at most ${maxKeys} names (≤ 64 characters) to non-negative integers`,
      },
    },
    options,
  );
}

/** The string is not one of `reserved`. */
export function IsNotOneOf(reserved: readonly string[], options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNotOneOf',
      constraints: [reserved],
      validator: {
        validate: (value) => typeof value !== 'string' || !reserved.includes(value),
        defaultMessage: () => `$property must not be one of ${reserved.join(', ')} (the API writes those)`,
      },
    },
    options,
  );
}
