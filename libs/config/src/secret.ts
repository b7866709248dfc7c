const secretsByClass = new WeakMap<object, Set<string>>();

/**
 * Marks a config property as secret: its value never appears in error messages or logs
 * (it is shown as `<redacted>`).
 */
export function Secret(): PropertyDecorator {
  return (target, property) => {
    const keys = secretsByClass.get(target.constructor) ?? new Set<string>();
    keys.add(String(property));
    secretsByClass.set(target.constructor, keys);
  };
}

/** Names of the properties marked with `@Secret()` on a config class and its ancestors. */
export function secretKeys(configClass: abstract new () => object): Set<string> {
  const keys = new Set<string>();
  for (let c: unknown = configClass; typeof c === 'function' && c !== Function.prototype;) {
    for (const key of secretsByClass.get(c) ?? []) keys.add(key);
    c = Object.getPrototypeOf(c);
  }
  return keys;
}
