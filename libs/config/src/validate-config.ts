import 'reflect-metadata';

import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';

import { ConfigError, type ConfigProblem } from './config-error.js';
import { describeValue } from './describe-value.js';
import { secretKeys } from './secret.js';

export type Env = Readonly<Record<string, string | undefined>>;
export type ConfigClass<T extends object> = new () => T;

export interface ValidateConfigOptions {
  /** Variables never to show, in addition to those marked with `@Secret()`. */
  readonly secrets?: readonly string[];
}

/**
 * Builds a config object from environment variables and validates it.
 *
 * Only the variables the class declares (with class-validator decorators) are read, so the
 * rest of the environment is ignored. An empty string counts as unset, so a property's
 * default applies. Strings become numbers etc. by the declared property type
 * (class-transformer's implicit conversion).
 *
 * @throws ConfigError with one line per bad variable, secrets shown as `<redacted>`.
 */
export function validateConfig<T extends object>(
  configClass: ConfigClass<T>,
  env: Env,
  options: ValidateConfigOptions = {},
): T {
  const plain: Record<string, string> = {};
  for (const key of declaredKeys(configClass)) {
    const value = env[key];
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const config = plainToInstance(configClass, plain, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, {
    whitelist: false,
    forbidUnknownValues: true,
    validationError: { target: false, value: true },
  });
  if (errors.length === 0) return config;

  const secrets = new Set([...secretKeys(configClass), ...(options.secrets ?? [])]);
  throw new ConfigError(errors.map((error) => toProblem(error, plain[error.property], secrets)));
}

/**
 * `validateConfig` for a process entry point: on a bad configuration it prints
 * `Invalid configuration:` and one line per bad variable to stderr, then exits with code 1.
 */
export function loadConfigOrExit<T extends object>(
  configClass: ConfigClass<T>,
  env: Env = process.env,
  options: ValidateConfigOptions = {},
): T {
  try {
    return validateConfig(configClass, env, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration:\n${error.message}\n`);
    return process.exit(1);
  }
}

/** The variables a config class declares (every validated property). */
export function declaredKeys(configClass: ConfigClass<object>): Set<string> {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(configClass, '', true, false);
  return new Set(metadata.map((m) => m.propertyName));
}

function toProblem(error: ValidationError, raw: string | undefined, secrets: Set<string>): ConfigProblem {
  const variable = error.property;
  const reasons = [
    ...new Set(Object.values(error.constraints ?? {}).map((m) => withoutSubject(m, variable))),
  ];
  if (reasons.length === 0) reasons.push('is invalid');
  return { variable, message: `${reasons.join('; ')} (${describeValue(raw, secrets.has(variable))})` };
}

/** class-validator's own messages start with the property name ("PORT must be…"); drop it. */
function withoutSubject(message: string, variable: string): string {
  for (const prefix of [`${variable} `, `each value in ${variable} `]) {
    if (message.startsWith(prefix)) {
      const rest = message.slice(prefix.length);
      return prefix.startsWith('each') ? `each value ${rest}` : rest;
    }
  }
  return message;
}
