import { describe, expect, it } from 'vitest';

import { LineSplitter } from './line-splitter.js';

describe('LineSplitter', () => {
  it('splits at \\n, keeps \\r raw, and holds an unfinished line until flush', () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from('a\r\nbar 25%\rbar 50%\nhalf'))).toEqual([
      { text: 'a\r', bytes: 3 },
      { text: 'bar 25%\rbar 50%', bytes: 16 },
    ]);
    expect(splitter.pendingBytes).toBe(4);
    expect(splitter.push(Buffer.from(' line\n'))).toEqual([{ text: 'half line', bytes: 10 }]);
    expect(splitter.push(Buffer.from('tail'))).toEqual([]);
    expect(splitter.flush()).toEqual({ text: 'tail', bytes: 4 });
    expect(splitter.flush()).toBeNull();
  });

  it('never garbles a multi-byte character split across chunks', () => {
    const text = 'héllo 🎯 wörld\n日本語\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const splitter = new LineSplitter();
      const lines = [...splitter.push(bytes.subarray(0, cut)), ...splitter.push(bytes.subarray(cut))];
      expect(lines.map((l) => l.text)).toEqual(['héllo 🎯 wörld', '日本語']);
      expect(lines.reduce((sum, l) => sum + l.bytes, 0)).toBe(bytes.length);
    }
  });

  it('cuts an endless line into pieces at character boundaries, losing no byte', () => {
    const splitter = new LineSplitter(10);
    // 13 bytes pending: byte 10 is the middle of an 'é', so the cut falls before it.
    const first = splitter.push(Buffer.from('aéééééé'));
    expect(first).toEqual([{ text: 'aéééé', bytes: 9 }]);
    expect(splitter.pendingBytes).toBe(4);
    expect(splitter.push(Buffer.from('é\n'))).toEqual([{ text: 'ééé', bytes: 7 }]);
  });
});
