import { describe, expect, it } from 'vitest';

import { windowStart } from './reliability-window.js';

describe('windowStart', () => {
  it('shows everything when it fits, else centres the focus and stays full', () => {
    expect(windowStart(10, 9, 12)).toBe(0);
    expect(windowStart(200, 0, 12)).toBe(0);
    expect(windowStart(200, 100, 12)).toBe(94);
    expect(windowStart(200, 199, 12)).toBe(188);
  });
});
