/** A JSON-style object (not an array, not a class instance other than Object, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * `override` laid over `base`: plain objects merge key by key (recursively), anything else in
 * `override` replaces what is in `base` (arrays too), and so does an object at one of the dotted
 * `replaced` paths (a one-of such as an eval's target); an `undefined` in `override` counts as not
 * given. Keys keep the override's order, then the base's. Neither input is modified. Keys are copied as own data properties, so a `__proto__` key
 * from JSON stays an ordinary (and later rejected) field instead of changing a prototype.
 */
export function mergeUnder(
  base: unknown,
  override: unknown,
  replaced: ReadonlySet<string> = new Set(),
  path = '',
): unknown {
  if (override === undefined) return clone(base);
  if (!isPlainObject(base) || !isPlainObject(override) || replaced.has(path)) return clone(override);
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(override), ...Object.keys(base)])) {
    define(out, key, mergeUnder(base[key], override[key], replaced, path === '' ? key : `${path}.${key}`));
  }
  return out;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) define(out, key, clone(value[key]));
  return out;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
