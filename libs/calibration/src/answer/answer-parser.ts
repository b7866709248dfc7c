import { PYTHON_WHITESPACE_CLASS, parseUnicodeDigits, pythonStrip } from '../text/python-text.js';

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

/**
 * The seed's answer regex, `(?:ANSWER:\s*)?(YES|NO)\s+with\s+(\d+)\s*%\s*(?:probability|confidence)?`
 * under re.IGNORECASE, spelled out so JavaScript matches exactly what Python matches: Python's
 * case-insensitive matching also equates ı/İ with i and ſ with s, and its \s and \d are Unicode.
 */
const S = `[${PYTHON_WHITESPACE_CLASS}]`;
const letter: Record<string, string> = { i: '[iIıİ]', s: '[sSſ]' };
const caseless = (word: string): string =>
  [...word].map((c) => letter[c] ?? `[${c}${c.toUpperCase()}]`).join('');
const ANSWER_PATTERN = new RegExp(
  `(?:${caseless('answer')}:${S}*)?(${caseless('yes')}|${caseless('no')})${S}+${caseless('with')}${S}+(\\p{Nd}+)${S}*%${S}*(?:${caseless('probability')}|${caseless('confidence')})?`,
  'gu',
);

export interface ParsedAnswer {
  /** The text the regex searched: after the last `</think>`, stripped; '' for an unclosed think block. */
  answerText: string;
  /** P(YES) from the last answer line, or null when there is none (unparseable). */
  pYes: number | null;
}

/** The text the parser searches, or '' when a `<think>` block is never closed. */
export function answerText(completion: string): string {
  if (completion.includes(THINK_OPEN) && !completion.includes(THINK_CLOSE)) return '';
  const close = completion.lastIndexOf(THINK_CLOSE);
  return pythonStrip(close === -1 ? completion : completion.slice(close + THINK_CLOSE.length));
}

/** P(YES) stated by the last answer line of `text`: pct/100 for YES, 1 − pct/100 for NO (IEEE, as Python). */
export function extractPYes(text: string): number | null {
  let last: RegExpExecArray | null = null;
  // exec on the one global pattern (from lastIndex 0): matchAll would clone the regex every call.
  ANSWER_PATTERN.lastIndex = 0;
  for (let match = ANSWER_PATTERN.exec(text); match !== null; match = ANSWER_PATTERN.exec(text)) {
    last = match;
    // An empty match cannot happen (YES/NO is required), so lastIndex always moves on.
  }
  if (last === null) return null;
  const isYes = last[1]![0]!.toLowerCase() === 'y';
  const percent = Math.max(0, Math.min(100, parseUnicodeDigits(last[2]!)));
  return isYes ? percent / 100 : 1 - percent / 100;
}

/** Parse one assistant reply the seed's way. */
export function parseAnswer(completion: string): ParsedAnswer {
  const text = answerText(completion);
  return { answerText: text, pYes: extractPYes(text) };
}
