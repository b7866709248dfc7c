import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadBoolQJsonl, readBoolQJsonl } from './load-jsonl.js';
import { BoolQRecordError } from './record-error.js';

const good = (idx: number, label = 'true') =>
  JSON.stringify({ question: `q${idx}`, passage: `T${idx} -- text ${idx}`, idx, label });

// Line numbers: 1 good, 2 bad JSON, 3 missing field, 4 wrong label, 5 blank, 6 good (google shape), 7 duplicate idx.
const MIXED = [
  good(0),
  '{"question": "q1", "passage": ',
  JSON.stringify({ question: 'q2', idx: 2, label: 'false' }),
  JSON.stringify({ question: 'q3', passage: 'T -- p', idx: 3, label: 'maybe' }),
  '',
  JSON.stringify({ question: 'q5', answer: false, passage: 'plain passage' }),
  good(0, 'false'),
].join('\n');

const fromText = (text: string) => Readable.from([text]);

describe('readBoolQJsonl', () => {
  it('keeps the good lines and reports each malformed one with its line number', async () => {
    const { examples, malformed } = await readBoolQJsonl(fromText(MIXED));
    expect(examples.map((e) => e.id)).toEqual(['boolq-val-0', expect.stringMatching(/^boolq-[0-9a-f]{12}$/)]);
    expect(malformed.map((m) => m.line)).toEqual([2, 3, 4, 7]);
    expect(malformed[0]?.problem).toMatch(/^invalid JSON/);
    expect(malformed[1]?.problem).toBe('missing field "passage"');
    expect(malformed[2]?.problem).toMatch(/"label" must be true or false, got "maybe"/);
    expect(malformed[3]?.problem).toBe('duplicate "idx" 0 (first on line 1)');
  });

  it('throws at the first malformed line when strict', async () => {
    const load = readBoolQJsonl(fromText(MIXED), { strict: true });
    await expect(load).rejects.toBeInstanceOf(BoolQRecordError);
    await expect(readBoolQJsonl(fromText(MIXED), { strict: true })).rejects.toMatchObject({ line: 2 });
  });

  it('accepts CRLF endings, a byte-order mark and a trailing newline', async () => {
    const text = `\uFEFF${good(0)}\r\n${good(1, 'false')}\r\n`;
    const { examples, malformed } = await readBoolQJsonl(fromText(text));
    expect(malformed).toEqual([]);
    expect(examples.map((e) => [e.id, e.title, e.passage, e.answer])).toEqual([
      ['boolq-val-0', 'T0', 'text 0', true],
      ['boolq-val-1', 'T1', 'text 1', false],
    ]);
  });

  it('keeps repeated google rows, suffixing their content ids so ids stay unique', async () => {
    const row = JSON.stringify({ question: 'q', answer: true, passage: 'p' });
    const { examples } = await readBoolQJsonl(fromText([row, row, row].join('\n')));
    const [first, second, third] = examples.map((e) => e.id);
    expect(second).toBe(`${first}-2`);
    expect(third).toBe(`${first}-3`);
  });

  it('uses the split option for idx-based ids', async () => {
    const { examples } = await readBoolQJsonl(fromText(good(5)), { split: 'train' });
    expect(examples[0]?.id).toBe('boolq-train-5');
  });
});

describe('loadBoolQJsonl', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'boolq-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file from disk', async () => {
    const path = join(dir, 'mixed.jsonl');
    await writeFile(path, MIXED, 'utf8');
    const { examples, malformed } = await loadBoolQJsonl(path);
    expect(examples).toHaveLength(2);
    expect(malformed).toHaveLength(4);
  });

  it('rejects when the file does not exist', async () => {
    await expect(loadBoolQJsonl(join(dir, 'absent.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
