import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';

import { parseIdempotencyKey } from './idempotency-key.js';

describe('parseIdempotencyKey', () => {
  it('takes an absent header or 1–200 printable ASCII characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    for (const key of ['a', '0b7c3f3e-8f1a-4c59-9a55-3f1e2d4c5b6a', 'retry #2 of job:7', 'k'.repeat(200)]) {
      expect(parseIdempotencyKey(key)).toBe(key);
    }
  });

  it('rejects empty, too long, control and non-ASCII keys', () => {
    for (const key of ['', ' ', 'k'.repeat(201), 'a\tb', 'a\u0000b', 'clé', ' padded ']) {
      expect(() => parseIdempotencyKey(key), JSON.stringify(key)).toThrow(BadRequestException);
    }
  });
});
