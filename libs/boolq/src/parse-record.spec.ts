import { describe, expect, it } from 'vitest';

import { exampleId } from './example.js';
import { parseBoolQLine, parseBoolQRecord } from './parse-record.js';
import { BoolQRecordError } from './record-error.js';

const superglue = {
  question: 'is a -- b a dash',
  passage: 'Dash (typography) -- A dash -- like this -- is punctuation.',
  idx: 7,
  label: 'true',
};
const google = { question: 'is the sky blue', answer: false, passage: 'Sky -- colour varies.' };

function problemOf(run: () => unknown): { line: number; problem: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof BoolQRecordError) return { line: error.line, problem: error.problem };
    throw error;
  }
  throw new Error('expected a BoolQRecordError');
}

describe('parseBoolQRecord, SuperGLUE shape', () => {
  it('splits the title at the first " -- " and nowhere else', () => {
    const { example, shape, idx } = parseBoolQRecord(superglue, 1);
    expect(shape).toBe('superglue');
    expect(idx).toBe(7);
    expect(example).toEqual({
      id: 'boolq-c8997d091d1e1bf5', // from the Python example_id, like example.spec.ts
      question: 'is a -- b a dash',
      passage: 'A dash -- like this -- is punctuation.',
      title: 'Dash (typography)',
      answer: true,
    });
  });

  it('accepts string and boolean labels, in any case', () => {
    for (const [label, answer] of [
      ['false', false],
      ['True', true],
      [true, true],
      [false, false],
    ] as const) {
      expect(parseBoolQRecord({ ...superglue, label }, 1).example.answer).toBe(answer);
    }
  });

  it('hashes question and title-free passage; idx, title and label do not enter the id', () => {
    const { example } = parseBoolQRecord(superglue, 1);
    expect(example.id).toBe(exampleId({ question: superglue.question, passage: example.passage }));
    const { idx: _idx, ...noIdx } = superglue;
    const variants = [
      noIdx,
      { ...superglue, idx: 12345 },
      { ...superglue, label: 'false' },
      { ...superglue, passage: 'Another title -- A dash -- like this -- is punctuation.' },
    ];
    for (const record of variants) expect(parseBoolQRecord(record, 1).example.id).toBe(example.id);
  });

  it('gives the same item the same id in the google shape', () => {
    const fromSuperglue = parseBoolQRecord(superglue, 1).example;
    const fromGoogle = parseBoolQRecord(
      {
        question: superglue.question,
        answer: true,
        passage: fromSuperglue.passage,
        title: 'Dash (typography)',
      },
      1,
    ).example;
    expect(fromGoogle.id).toBe(fromSuperglue.id);
  });
});

describe('parseBoolQRecord, google/boolq shape', () => {
  it('keeps the passage whole and has no title', () => {
    const { example, shape, idx } = parseBoolQRecord(google, 3);
    expect(shape).toBe('google');
    expect(idx).toBeNull();
    expect(example).toEqual({
      id: exampleId({ question: google.question, passage: google.passage }),
      question: 'is the sky blue',
      passage: 'Sky -- colour varies.',
      title: null,
      answer: false,
    });
  });

  it('keeps an optional title and gives a stable content id', () => {
    const a = parseBoolQRecord({ ...google, title: 'Sky' }, 1).example;
    const b = parseBoolQRecord({ ...google }, 99).example;
    expect(a.title).toBe('Sky');
    expect(a.id).toBe(b.id);
    expect(a.id).toBe(exampleId({ question: 'is the sky blue', passage: 'Sky -- colour varies.' }));
  });
});

describe('parse errors name the line and the problem', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /expected a JSON object, got an array/],
    ['null', null, /expected a JSON object, got null/],
    ['neither label nor answer', { question: 'q', passage: 't -- p' }, /missing field "label".*or "answer"/],
    ['both label and answer', { ...superglue, answer: true }, /both "label".*and "answer"/],
    ['missing question', { passage: 'T -- p', label: 'true' }, /missing field "question"/],
    ['missing passage', { question: 'q', answer: true }, /missing field "passage"/],
    ['question not a string', { ...google, question: 3 }, /"question" must be a string, got number 3/],
    ['empty passage', { ...google, passage: '  ' }, /"passage" is empty/],
    ['wrong label', { ...superglue, label: 'yes' }, /"label" must be true or false, got "yes"/],
    ['numeric label', { ...superglue, label: 1 }, /"label" must be true or false, got number 1/],
    ['wrong answer', { ...google, answer: null }, /"answer" must be true or false, got null/],
    ['no title separator', { ...superglue, passage: 'no separator here' }, /no " -- " between the title/],
    ['empty title', { ...superglue, passage: ' -- text' }, /empty title/],
    ['bad idx', { ...superglue, idx: -1 }, /"idx" must be a non-negative integer/],
    ['bad title', { ...google, title: 5 }, /"title" must be a string/],
  ];
  it.each(cases)('%s', (_name, record, expected) => {
    const { line, problem } = problemOf(() => parseBoolQRecord(record, 42));
    expect(line).toBe(42);
    expect(problem).toMatch(expected);
  });

  it('reports bad JSON with its line number, message included', () => {
    const run = () => parseBoolQLine('{"question": ', 12);
    expect(run).toThrow(BoolQRecordError);
    expect(run).toThrow(/^line 12: invalid JSON: /);
  });
});
