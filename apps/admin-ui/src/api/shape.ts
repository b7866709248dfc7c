/**
 * What the panel reads from a JSON answer, as data: test/openapi-client.int-spec.ts walks these
 * shapes through the API's OpenAPI document (and, where the document leaves an object open,
 * through a real answer), so a renamed or removed field fails a test instead of a page.
 */
export type Shape = ValueShape | ObjectShape | ArrayShape;

/** A leaf: a string, number, boolean or null, or an object the panel only shows as JSON. */
export interface ValueShape {
  kind: 'value';
  /** The values the panel knows (status colours, filters): the document must list the same. */
  enum?: readonly string[];
}

export interface ObjectShape {
  kind: 'object';
  fields: Readonly<Record<string, Shape>>;
}

export interface ArrayShape {
  kind: 'array';
  items: Shape;
}

export const value: ValueShape = { kind: 'value' };

export function enumOf(values: readonly string[]): ValueShape {
  return { kind: 'value', enum: values };
}

/**
 * Every field of `T`, each with its shape: the type argument makes the list exhaustive, so the
 * TypeScript type and what the test checks cannot drift apart.
 */
export function fields<T>(shapes: { readonly [K in keyof Required<T>]: Shape }): ObjectShape {
  return { kind: 'object', fields: shapes };
}

export function arrayOf(items: Shape): ArrayShape {
  return { kind: 'array', items };
}
