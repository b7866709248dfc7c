import { lengthPenaltyConfigError } from '@brier/calibration';
import { ValidateBy, ValidateIf, type ValidationArguments, type ValidationOptions } from 'class-validator';

import { presetExists, listPresetNames, promptTemplateProblem } from '../config-catalog.js';
import {
  endpointUrlProblem,
  isHfModelId,
  isPrintableText,
  PRESET_NAME_PATTERN,
  RUN_LIMITS,
} from './limits.js';

/**
 * Custom class-validator decorators of the run spec. Every message starts with the property name,
 * as class-validator's own do, so Nest's ValidationPipe (which prefixes the parent path) and
 * flattenValidationErrors (which reports the path beside it) both read well. A rule that relates
 * two fields stays silent while either field is itself invalid: that field has its own error.
 */

type Bag = Record<string, unknown>;

function sibling(args: ValidationArguments, property: string): unknown {
  return (args.object as Bag)[property];
}

function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** Validate only when the field is present: unlike @IsOptional, null is still an error. */
export function OptionalField(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/** A field that must be absent (reserved for later): `message` says why. */
export function Forbidden(message: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'forbidden',
      validator: { validate: (value) => value === undefined, defaultMessage: () => `$property ${message}` },
    },
    options,
  );
}

export function IsHfModelId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHfModelId',
      validator: {
        validate: (value) => isHfModelId(value),
        defaultMessage: () =>
          `$property must be a Hugging Face model id owner/name (letters, digits, . _ -; ` +
          `no leading or trailing . or -, no -- or ..; at most ${RUN_LIMITS.hfModelIdMaxLength} characters)`,
      },
    },
    options,
  );
}

/** Text a person reads: tab and newlines allowed, other control and bidi-override characters not. */
export function IsPrintableText(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPrintableText',
      validator: {
        validate: (value) => typeof value !== 'string' || isPrintableText(value),
        defaultMessage: () => '$property must not contain control characters',
      },
    },
    options,
  );
}

export function IsEndpointUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEndpointUrl',
      validator: {
        validate: (value) => typeof value !== 'string' || endpointUrlProblem(value) === null,
        defaultMessage: (args) => `$property ${endpointUrlProblem(String(args?.value)) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/** The value is a multiple of the integer in another property (batchSize of rolloutsPerExample). */
export function IsMultipleOfProperty(property: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMultipleOfProperty',
      constraints: [property],
      validator: {
        validate: (value, args) => {
          const divisor = sibling(args!, property);
          if (!isInt(value) || !isInt(divisor) || divisor < 1) return true;
          return value % divisor === 0;
        },
        defaultMessage: (args) =>
          `$property (${String(args?.value)}) must be divisible by ${property} ` +
          `(${String(sibling(args!, property))})`,
      },
    },
    options,
  );
}

/** The value is strictly greater than the number in another property (seqLen > maxTokens). */
export function IsGreaterThanProperty(property: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isGreaterThanProperty',
      constraints: [property],
      validator: {
        validate: (value, args) => {
          const other = sibling(args!, property);
          if (typeof value !== 'number' || typeof other !== 'number') return true;
          return value > other;
        },
        defaultMessage: (args) =>
          `$property (${String(args?.value)}) must be greater than ${property} (${String(sibling(args!, property))})`,
      },
    },
    options,
  );
}

/** The value is at most the number in another property (checkpointInterval ≤ maxSteps). */
export function IsAtMostProperty(property: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAtMostProperty',
      constraints: [property],
      validator: {
        validate: (value, args) => {
          const other = sibling(args!, property);
          if (typeof value !== 'number' || typeof other !== 'number') return true;
          return value <= other;
        },
        defaultMessage: (args) =>
          `$property (${String(args?.value)}) must not be greater than ${property} ` +
          `(${String(sibling(args!, property))})`,
      },
    },
    options,
  );
}

/** The field may be set only while a boolean property is true (checkpointInterval needs checkpoints). */
export function RequiresTrue(property: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'requiresTrue',
      constraints: [property],
      validator: {
        validate: (value, args) => value === undefined || sibling(args!, property) !== false,
        defaultMessage: () => `$property needs ${property}: true`,
      },
    },
    options,
  );
}

/** An object with exactly one of the given keys set (an eval's target). */
export function HasExactlyOneOf(keys: readonly string[], options?: ValidationOptions): PropertyDecorator {
  const present = (value: unknown): string[] =>
    typeof value === 'object' && value !== null ? keys.filter((k) => (value as Bag)[k] !== undefined) : [];
  return ValidateBy(
    {
      name: 'hasExactlyOneOf',
      constraints: [keys],
      validator: {
        validate: (value) => typeof value !== 'object' || value === null || present(value).length === 1,
        defaultMessage: (args) => {
          const got = present(args?.value);
          return `$property must have exactly one of ${keys.join(', ')} (got ${got.length === 0 ? 'none' : got.join(', ')})`;
        },
      },
    },
    options,
  );
}

/** The bounds of the reward's length penalty, as libs/calibration accepts them. */
export function IsUsableLengthPenalty(options?: ValidationOptions): PropertyDecorator {
  const problem = (value: unknown): string | null => {
    if (typeof value !== 'object' || value === null) return null;
    const { maxTokens, lowFraction, highFraction } = value as Bag;
    // Wrong types and out-of-range numbers are reported on the fields themselves.
    if (!isInt(maxTokens) || typeof lowFraction !== 'number' || typeof highFraction !== 'number') return null;
    return lengthPenaltyConfigError({ maxTokens, lowFraction, highFraction });
  };
  return ValidateBy(
    {
      name: 'isUsableLengthPenalty',
      validator: {
        validate: (value) => problem(value) === null,
        defaultMessage: (args) => `$property: ${problem(args?.value) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/** A prompt template in configs/prompts/<name>.json that libs/calibration accepts. */
export function IsKnownPromptTemplate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isKnownPromptTemplate',
      validator: {
        validate: (value) => typeof value !== 'string' || promptTemplateProblem(value) === null,
        defaultMessage: (args) => `$property ${promptTemplateProblem(String(args?.value)) ?? 'is invalid'}`,
      },
    },
    options,
  );
}

/** A preset in configs/presets/<name>.json. Silent on a malformed name: @Matches reports that. */
export function IsKnownPreset(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isKnownPreset',
      validator: {
        validate: (value) =>
          typeof value !== 'string' || !PRESET_NAME_PATTERN.test(value) || presetExists(value),
        // The same words as UnknownPresetError's, which starts with 'preset'.
        defaultMessage: (args) =>
          `$property '${String(args?.value)}' does not exist (available: ${listPresetNames().join(', ') || 'none'})`,
      },
    },
    options,
  );
}
