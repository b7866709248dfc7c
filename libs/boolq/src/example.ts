import { createHash } from 'node:crypto';

/** One BoolQ item, whichever file shape it came from. */
export interface BoolQExample {
  /** Stable identifier; see {@link exampleId} for the rule. */
  id: string;
  /** The question as written in the data (BoolQ questions carry no trailing `?`). */
  question: string;
  /** The passage text, without the Wikipedia title that SuperGLUE prefixes to it. */
  passage: string;
  /** The Wikipedia page title, or null when the record does not carry one. */
  title: string | null;
  /** The gold answer: true = YES, false = NO. */
  answer: boolean;
}

/** The split name used in idx-based ids unless a loader is told otherwise. */
export const DEFAULT_SPLIT = 'val';

/** Hex characters kept from the content hash: 48 bits, collision-free in practice at BoolQ's ~16k items. */
const HASH_HEX_CHARS = 12;

/**
 * The id rule, the same for every file shape so an id means one item across runs:
 * - the record has an `idx` (SuperGLUE files): `boolq-<split>-<idx>`, e.g. `boolq-val-17`;
 * - otherwise (google/boolq files): `boolq-<h>`, where <h> is the first 12 hex digits of
 *   sha256(JSON.stringify([question, passage])) over the title-free passage text, so the same
 *   item gets the same id whichever file order or shape it arrives in.
 * The loader appends `-2`, `-3`, ... to repeats of a content id within one file (see loader).
 */
export function exampleId(parts: {
  question: string;
  passage: string;
  idx?: number;
  split?: string;
}): string {
  if (parts.idx !== undefined) return `boolq-${parts.split ?? DEFAULT_SPLIT}-${parts.idx}`;
  return `boolq-${contentHash(parts.question, parts.passage)}`;
}

/** JSON.stringify of the pair keeps the boundary unambiguous whatever characters the texts hold. */
function contentHash(question: string, passage: string): string {
  return createHash('sha256')
    .update(JSON.stringify([question, passage]), 'utf8')
    .digest('hex')
    .slice(0, HASH_HEX_CHARS);
}
