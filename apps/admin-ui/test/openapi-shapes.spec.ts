import { describe, expect, it } from 'vitest';

import { arrayOf, enumOf, fields, value } from '../src/api/shape.js';
import { checkSchema, checkValue, type OpenApiDocument } from './support/openapi-shapes.js';

// The checker of the OpenAPI test must itself be able to fail: a toy document and shapes.

interface Thing {
  id: string;
  status: string;
  tags: string[];
  extra: Record<string, unknown>;
}
const THING = fields<Thing>({ id: value, status: enumOf(['a', 'b']), tags: arrayOf(value), extra: value });

const doc: OpenApiDocument = {
  paths: {},
  components: {
    schemas: {
      Thing: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          status: { enum: ['a', 'b'] },
          tags: { type: 'array', items: { type: 'string' } },
          extra: { type: 'object', additionalProperties: true },
        },
      },
      Open: { type: 'object', additionalProperties: true },
    },
  },
};

describe('checkSchema', () => {
  it('passes a shape the document describes, following $ref', () => {
    expect(
      checkSchema(doc, { type: 'array', items: { $ref: '#/components/schemas/Thing' } }, arrayOf(THING)),
    ).toEqual({
      problems: [],
      open: [],
    });
  });

  it('names a field the document lacks, a different enum and an array that is not one', () => {
    const shape = fields<{ id: string; missing: number; status: string; tags: string[] }>({
      id: value,
      missing: value,
      status: enumOf(['a', 'c']),
      tags: arrayOf(value),
    });
    const schema = { $ref: '#/components/schemas/Thing' };
    const withScalarTags = {
      ...doc,
      components: {
        schemas: {
          Thing: {
            ...doc.components!.schemas!['Thing']!,
            properties: { ...doc.components!.schemas!['Thing']!.properties, tags: { type: 'string' } },
          },
        },
      },
    };
    expect(checkSchema(doc, schema, shape).problems).toEqual([
      '$.missing: not in the document',
      '$.status: the panel knows a, c; the document lists a, b',
    ]);
    expect(checkSchema(withScalarTags, schema, shape).problems).toContain(
      '$.tags: the panel reads an array; the document says string',
    );
  });

  it('reports an open object as open, for a real answer to settle', () => {
    expect(checkSchema(doc, { $ref: '#/components/schemas/Open' }, THING)).toEqual({
      problems: [],
      open: ['$'],
    });
  });
});

describe('checkValue', () => {
  it('passes a value with every field (null leaves included) and names what is missing or unknown', () => {
    expect(checkValue([{ id: 'x', status: 'a', tags: [], extra: null }], arrayOf(THING))).toEqual([]);
    expect(checkValue({ id: 'x', status: 'z', tags: 'no' }, THING)).toEqual([
      '$.status: z is not one of a, b',
      '$.tags: not an array',
      '$.extra: missing',
    ]);
  });
});
