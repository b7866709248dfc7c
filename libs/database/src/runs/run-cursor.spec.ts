import { describe, expect, it } from 'vitest';

import { decodeRunCursor, encodeRunCursor, InvalidCursorError } from './run-cursor.js';

describe('run cursors', () => {
  it('round-trip created_at to the microsecond and the id', () => {
    const cursor = { createdAt: '2026-11-25T22:03:28.123456Z', id: '0b7c3f3e-8f1a-4c59-9a55-3f1e2d4c5b6a' };
    expect(decodeRunCursor(encodeRunCursor(cursor))).toEqual(cursor);
  });

  it('reject anything else', () => {
    for (const bad of ['', 'garbage', encodeRunCursor({ createdAt: 'yesterday', id: 'x' })]) {
      expect(() => decodeRunCursor(bad)).toThrow(InvalidCursorError);
    }
  });
});
