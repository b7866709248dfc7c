import { exampleId, type BoolQExample } from './example.js';
import { BoolQRecordError } from './record-error.js';

/** The two file shapes BoolQ is distributed in. */
export type BoolQShape = 'superglue' | 'google';

/** A parsed record together with what it was parsed from (the loader needs idx to spot duplicates). */
export interface ParsedBoolQRecord {
  example: BoolQExample;
  shape: BoolQShape;
  /** The record's `idx`, or null when it has none. It does not enter the id (see exampleId). */
  idx: number | null;
}

/** SuperGLUE joins "<Wikipedia title> -- <passage text>"; the text itself may contain " -- " too. */
const TITLE_SEPARATOR = ' -- ';

/**
 * Parse one record of either shape:
 * - SuperGLUE: `{question, passage: "<title> -- <text>", idx?, label}`; split at the FIRST " -- ".
 * - google/boolq: `{question, answer, passage, title?}`; the passage is taken as is.
 * The shape is chosen by `label` vs `answer`; a record with both or neither is rejected.
 * Either way the id is {@link exampleId} of the question and the title-free passage, so the same
 * item gets the same id in both shapes; `idx` is returned for the loader but not used in the id.
 * Truth values may be JSON booleans or the strings "true"/"false" in any case: SuperGLUE's own
 * release uses booleans, the bundled copy uses strings, and Python writers give "True"/"False".
 */
export function parseBoolQRecord(record: unknown, line: number): ParsedBoolQRecord {
  const fail = (problem: string): never => {
    throw new BoolQRecordError(line, problem);
  };
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return fail(`expected a JSON object, got ${describe(record)}`);
  }
  const fields = record as Record<string, unknown>;
  const hasLabel = 'label' in fields;
  const hasAnswer = 'answer' in fields;
  if (hasLabel && hasAnswer) return fail('has both "label" (SuperGLUE) and "answer" (google/boolq)');
  if (!hasLabel && !hasAnswer) return fail('missing field "label" (SuperGLUE) or "answer" (google/boolq)');

  const question = requireText(fields, 'question', fail);
  const rawPassage = requireText(fields, 'passage', fail);
  const idx = optionalIdx(fields, fail);

  let shape: BoolQShape;
  let passage: string;
  let title: string | null;
  let answer: boolean;
  if (hasLabel) {
    shape = 'superglue';
    const cut = rawPassage.indexOf(TITLE_SEPARATOR);
    if (cut < 0) return fail(`passage has no "${TITLE_SEPARATOR}" between the title and the text`);
    title = rawPassage.slice(0, cut);
    passage = rawPassage.slice(cut + TITLE_SEPARATOR.length);
    if (title.trim() === '') return fail(`passage has an empty title before "${TITLE_SEPARATOR}"`);
    if (passage.trim() === '') return fail(`passage has no text after "${TITLE_SEPARATOR}"`);
    answer = truth(fields.label, 'label', fail);
  } else {
    shape = 'google';
    passage = rawPassage;
    title = optionalTitle(fields, fail);
    answer = truth(fields.answer, 'answer', fail);
  }
  const id = exampleId({ question, passage });
  return { example: { id, question, passage, title, answer }, shape, idx };
}

/** Parse one JSONL line; bad JSON becomes a {@link BoolQRecordError} like any other problem. */
export function parseBoolQLine(text: string, line: number): ParsedBoolQRecord {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    throw new BoolQRecordError(
      line,
      `invalid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseBoolQRecord(record, line);
}

type Fail = (problem: string) => never;

function requireText(fields: Record<string, unknown>, name: string, fail: Fail): string {
  if (!(name in fields)) return fail(`missing field "${name}"`);
  const value = fields[name];
  if (typeof value !== 'string') return fail(`"${name}" must be a string, got ${describe(value)}`);
  if (value.trim() === '') return fail(`"${name}" is empty`);
  return value;
}

function optionalIdx(fields: Record<string, unknown>, fail: Fail): number | null {
  if (!('idx' in fields)) return null;
  const value = fields.idx;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return fail(`"idx" must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

/** google/boolq has no title; some exports add one. An empty title is no title. */
function optionalTitle(fields: Record<string, unknown>, fail: Fail): string | null {
  const value = fields.title;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return fail(`"title" must be a string, got ${describe(value)}`);
  return value.trim() === '' ? null : value;
}

function truth(value: unknown, name: string, fail: Fail): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return fail(`"${name}" must be true or false, got ${describe(value)}`);
}

/** A short, safe rendering of an offending value for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}
