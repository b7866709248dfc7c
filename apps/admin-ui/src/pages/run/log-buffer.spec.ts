import { describe, expect, it } from 'vitest';

import type { LogLine } from '../../api/types.js';
import { appendLines } from './log-buffer.js';

const line = (id: number): LogLine => ({
  id: String(id),
  attempt: 1,
  stream: 'stdout',
  seq: id,
  line: `l${id}`,
  at: '',
});

describe('appendLines', () => {
  it('appends in order, skips lines already shown (a replay), keeps the newest', () => {
    const shown = appendLines([], [line(1), line(2)]);
    expect(appendLines(shown, [line(2), line(3)]).map((l) => l.id)).toEqual(['1', '2', '3']);
    expect(appendLines(shown, [line(3), line(4), line(5)], 3).map((l) => l.id)).toEqual(['3', '4', '5']);
  });
});
