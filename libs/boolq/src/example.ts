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

/** Hex characters kept from the sha256 digest: 64 bits, as the Python environment keeps. */
const HASH_HEX_CHARS = 16;

/**
 * The id rule, shared with the Python environment (`example_id` in
 * apps/gpu-agent/environments/calibrated_qa/calibrated_qa/dataset.py) and the same for every
 * file shape, so an id means one item whichever copy, order or shape it was read from:
 *
 *   `boolq-` + the first 16 hex digits of sha256(UTF-8 bytes of `question + "\n" + passage`)
 *
 * where `passage` is the full passage text without the SuperGLUE title (split off at the FIRST
 * `" -- "`) and before any cut to a prompt length. Row numbers (`idx`) and split names play no
 * part, and identical question + passage is the same item, so it gets the same id.
 * Example: the first record of data/boolq/val.jsonl is `boolq-2e37d6ab41c70b03`.
 */
export function exampleId(parts: { question: string; passage: string }): string {
  const digest = createHash('sha256').update(`${parts.question}\n${parts.passage}`, 'utf8').digest('hex');
  return `boolq-${digest.slice(0, HASH_HEX_CHARS)}`;
}
