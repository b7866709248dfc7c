import type { TransformFnParams } from 'class-transformer';

/** `?status=queued,running` and `?status=queued&status=running` both become ['queued', 'running']. */
export function commaList({ value }: TransformFnParams): unknown {
  const parts: unknown[] = Array.isArray(value) ? value : [value];
  if (!parts.every((part) => typeof part === 'string')) return value;
  return parts
    .flatMap((part) => part.split(','))
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** A query string's digits as a number; anything else is left for @IsInt to reject. */
export function queryInt({ value }: TransformFnParams): unknown {
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
}

/** 'true' / 'false' as booleans; anything else is left for @IsBoolean to reject. */
export function queryBoolean({ value }: TransformFnParams): unknown {
  return value === 'true' ? true : value === 'false' ? false : value;
}
