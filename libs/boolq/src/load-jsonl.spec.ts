import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exampleId } from './example.js';
import { loadBoolQJsonl, readBoolQJsonl } from './load-jsonl.js';
import { BoolQRecordError } from './record-error.js';

const good = (idx: number, label = 'true') =>
  JSON.stringify({ question: `q${idx}`, passage: `T${idx} -- text ${idx}`, idx, label });
const goodId = (idx: number) => exampleId({ question: `q${idx}`, passage: `text ${idx}` });

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
    expect(examples.map((e) => e.id)).toEqual([
      goodId(0),
      exampleId({ question: 'q5', passage: 'plain passage' }),
    ]);
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
      [goodId(0), 'T0', 'text 0', true],
      [goodId(1), 'T1', 'text 1', false],
    ]);
  });

  it('keeps repeated google rows, all with the one id of their question and passage', async () => {
    const row = JSON.stringify({ question: 'q', answer: true, passage: 'p' });
    const { examples, malformed } = await readBoolQJsonl(fromText([row, row, row].join('\n')));
    expect(malformed).toEqual([]);
    expect(examples.map((e) => e.id)).toEqual(Array(3).fill(exampleId({ question: 'q', passage: 'p' })));
  });

  it('gives the same item the same id across shapes and idx values, without calling it a duplicate', async () => {
    const rows = [
      good(0),
      JSON.stringify({ question: 'q0', passage: 'Other title -- text 0', idx: 9, label: 'true' }),
      JSON.stringify({ question: 'q0', answer: true, passage: 'text 0' }),
    ];
    const { examples, malformed } = await readBoolQJsonl(fromText(rows.join('\n')));
    expect(malformed).toEqual([]);
    expect(examples.map((e) => e.id)).toEqual([goodId(0), goodId(0), goodId(0)]);
  });

  it('still reports a repeated idx as malformed, whatever the content', async () => {
    const other = JSON.stringify({ question: 'other', passage: 'T -- other text', idx: 0, label: 'true' });
    const { examples, malformed } = await readBoolQJsonl(fromText([good(0), other].join('\n')));
    expect(examples.map((e) => e.id)).toEqual([goodId(0)]);
    expect(malformed).toEqual([{ line: 2, problem: 'duplicate "idx" 0 (first on line 1)' }]);
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
