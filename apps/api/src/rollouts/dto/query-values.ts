import type { TransformFnParams } from 'class-transformer';

/** A query string's digits as a number; anything else is left for @IsInt to reject. */
export function queryInt({ value }: TransformFnParams): unknown {
  return typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
}

/** A decimal number (`0.8`, `1`, `.5`, `1e-3`) as a number; anything else is left for @IsNumber. */
export function queryNumber({ value }: TransformFnParams): unknown {
  if (typeof value !== 'string' || value.trim() === '') return value;
  const n = Number(value);
  return Number.isFinite(n) ? n : value;
}

/** 'true' / 'false' (and 1 / 0) as booleans; anything else is left for @IsBoolean to reject. */
export function queryBoolean({ value }: TransformFnParams): unknown {
  return value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
}

/** `a-b` (or a single step `a`) as [a, b]; anything else is left for the range check to reject. */
export function parseStepRange(value: string): [number, number] | null {
  const match = /^(\d{1,10})(?:-(\d{1,10}))?$/.exec(value.trim());
  if (!match) return null;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  return from <= to && to <= 2_147_483_647 ? [from, to] : null;
}
