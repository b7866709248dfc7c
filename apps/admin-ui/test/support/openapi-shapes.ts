import type { Shape } from '../../src/api/shape.js';

// Checks the admin panel's shapes (src/api/shapes.ts) against an OpenAPI 3 document, and against
// real answers where the document leaves an object open (`additionalProperties: true`).

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | undefined> | undefined>;
  components?: { schemas?: Record<string, Schema> };
}

export interface OpenApiOperation {
  responses?: Record<string, { content?: Record<string, { schema?: Schema } | undefined> } | undefined>;
}

export interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  nullable?: boolean;
}

/** What a document check found: fields that are not there, and parts only a real answer can show. */
export interface SchemaCheck {
  problems: string[];
  /** Paths of the shape the document leaves open (checked against real answers instead). */
  open: string[];
}

/** A `$ref` followed (and `allOf` merged), so `properties` and `items` can be read. */
export function resolveSchema(doc: OpenApiDocument, schema: Schema): Schema {
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = doc.components?.schemas?.[name];
    if (!target) throw new Error(`the document has no schema ${schema.$ref}`);
    return resolveSchema(doc, target);
  }
  if (schema.allOf) {
    const parts = schema.allOf.map((part) => resolveSchema(doc, part));
    const properties: Record<string, Schema> = {};
    for (const part of parts) Object.assign(properties, part.properties ?? {});
    return { ...schema, allOf: undefined, properties };
  }
  return schema;
}

/** The JSON schema of an operation's success answer, or undefined (no such path, method or body). */
export function successSchema(doc: OpenApiDocument, path: string, method: string): Schema | undefined {
  const operation = doc.paths[path]?.[method.toLowerCase()];
  for (const status of ['200', '201', '202']) {
    const schema = operation?.responses?.[status]?.content?.['application/json']?.schema;
    if (schema) return schema;
  }
  return undefined;
}

/** Content types an operation declares it produces (in any of its answers). */
export function producedTypes(doc: OpenApiDocument, path: string, method: string): string[] {
  const responses = Object.values(doc.paths[path]?.[method.toLowerCase()]?.responses ?? {});
  return [...new Set(responses.flatMap((response) => Object.keys(response?.content ?? {})))];
}

function sameSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Walks `shape` through `schema`: every field the panel reads must be a property the document lists. */
export function checkSchema(doc: OpenApiDocument, schema: Schema, shape: Shape, path = '$'): SchemaCheck {
  const result: SchemaCheck = { problems: [], open: [] };
  const walk = (raw: Schema, s: Shape, at: string): void => {
    const node = resolveSchema(doc, raw);
    if (s.kind === 'value') {
      if (s.enum === undefined) return;
      if (node.enum === undefined) result.open.push(at);
      else if (!sameSet(node.enum, s.enum)) {
        result.problems.push(
          `${at}: the panel knows ${s.enum.join(', ')}; the document lists ${node.enum.join(', ')}`,
        );
      }
      return;
    }
    if (s.kind === 'array') {
      if (node.type !== 'array' || !node.items) {
        result.problems.push(`${at}: the panel reads an array; the document says ${node.type ?? 'nothing'}`);
        return;
      }
      walk(node.items, s.items, `${at}[]`);
      return;
    }
    if (!node.properties) {
      if (node.additionalProperties !== undefined && node.additionalProperties !== false)
        result.open.push(at);
      else result.problems.push(`${at}: the panel reads an object; the document describes no properties`);
      return;
    }
    for (const [key, inner] of Object.entries(s.fields)) {
      const property = node.properties[key];
      if (!property) result.problems.push(`${at}.${key}: not in the document`);
      else walk(property, inner, `${at}.${key}`);
    }
  };
  walk(schema, shape, path);
  return result;
}

/** Walks `shape` through a real JSON value: every field the panel reads must be there. */
export function checkValue(value: unknown, shape: Shape, path = '$'): string[] {
  const problems: string[] = [];
  const walk = (v: unknown, s: Shape, at: string): void => {
    if (v === null || v === undefined) return;
    if (s.kind === 'value') {
      const text =
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : JSON.stringify(v);
      if (s.enum !== undefined && !s.enum.includes(text))
        problems.push(`${at}: ${text} is not one of ${s.enum.join(', ')}`);
      return;
    }
    if (s.kind === 'array') {
      if (!Array.isArray(v)) problems.push(`${at}: not an array`);
      else v.slice(0, 20).forEach((item, i) => walk(item, s.items, `${at}[${i}]`));
      return;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      problems.push(`${at}: not an object`);
      return;
    }
    for (const [key, inner] of Object.entries(s.fields)) {
      if (!(key in v)) problems.push(`${at}.${key}: missing`);
      else walk((v as Record<string, unknown>)[key], inner, `${at}.${key}`);
    }
  };
  walk(value, shape, path);
  return problems;
}
