/** Diagrams drawn at once: a 1,000-step run has 200 groups of 5; the grid shows a window of them. */
export const GROUPS_PER_WINDOW = 12;

/**
 * The first group of the window that shows group `focus` (the selected step's), clamped so the
 * window stays full: [start, start + size).
 */
export function windowStart(groupCount: number, focus: number, size = GROUPS_PER_WINDOW): number {
  if (groupCount <= size) return 0;
  const centred = focus - Math.floor(size / 2);
  return Math.min(Math.max(0, centred), groupCount - size);
}
