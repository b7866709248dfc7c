import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** A URL whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`) and that names a host. */
export function isUrlWithProtocol(value: unknown, protocols: readonly string[]): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

function IsUrlWithProtocol(
  name: string,
  protocols: readonly string[],
  message: string,
  options?: ValidationOptions,
) {
  return ValidateBy(
    {
      name,
      constraints: [protocols],
      validator: {
        validate: (value: unknown) => isUrlWithProtocol(value, protocols),
        defaultMessage: () => message,
      },
    },
    options,
  );
}

export const IsRedisUrl = (options?: ValidationOptions): PropertyDecorator =>
  IsUrlWithProtocol('isRedisUrl', ['redis:', 'rediss:'], 'must be a redis:// URL', options);

export const IsPostgresUrl = (options?: ValidationOptions): PropertyDecorator =>
  IsUrlWithProtocol('isPostgresUrl', ['postgres:', 'postgresql:'], 'must be a postgres:// URL', options);

export const IsHttpUrl = (options?: ValidationOptions): PropertyDecorator =>
  IsUrlWithProtocol('isHttpUrl', ['http:', 'https:'], 'must be an http:// or https:// URL', options);

/**
 * Reads a comma-separated variable into a string array: `"a,b"` → `['a', 'b']`, `""` → `[]`.
 * Items are not trimmed, so `"a, b"` keeps the space and item validators can reject it.
 */
export function CommaList(): PropertyDecorator {
  return Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const raw = obj[key];
    if (typeof raw !== 'string') return raw;
    return raw === '' ? [] : raw.split(',');
  });
}
