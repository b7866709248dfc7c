import { describe, expect, it } from 'vitest';

import { InOrderRelease } from './in-order-release.js';

describe('InOrderRelease', () => {
  it('hands results on in position order whatever order they settle in, skipping failures', () => {
    const released: Array<[number, string]> = [];
    const release = new InOrderRelease<string>(5, (position, value) => released.push([position, value]));
    release.settle(2, 'c');
    release.settle(1, null);
    expect(released).toEqual([]);
    release.settle(0, 'a');
    expect(released).toEqual([
      [0, 'a'],
      [2, 'c'],
    ]);
    expect(release.settled).toBe(3);
    release.settle(4, 'e');
    expect(release.done).toBe(false);
    release.settle(3, 'd');
    expect(released.map(([position]) => position)).toEqual([0, 2, 3, 4]);
    expect(release.done).toBe(true);
  });

  it('refuses a position twice or out of range', () => {
    const release = new InOrderRelease<number>(2, () => undefined);
    release.settle(1, 1);
    expect(() => release.settle(1, 1)).toThrow(/already settled/);
    release.settle(0, 0);
    expect(() => release.settle(0, 0)).toThrow(/not pending/);
    expect(() => release.settle(2, 2)).toThrow(/not pending/);
  });
});
