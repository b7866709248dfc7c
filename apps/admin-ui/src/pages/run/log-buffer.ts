import type { LogLine } from '../../api/types.js';

/** Lines a log view keeps: older ones drop off the top (the full log is in the API). */
export const LOG_LINES_KEPT = 2_000;

/** `lines` with `more` appended, in id order, no line twice, at most `keep` (the newest). */
export function appendLines(
  lines: readonly LogLine[],
  more: readonly LogLine[],
  keep = LOG_LINES_KEPT,
): LogLine[] {
  const last = lines.at(-1);
  const lastId = last === undefined ? -1n : BigInt(last.id);
  const fresh = more.filter((line) => BigInt(line.id) > lastId);
  const all = fresh.length === 0 ? [...lines] : [...lines, ...fresh];
  return all.length > keep ? all.slice(all.length - keep) : all;
}
