const UNITS: [limit: number, size: number, unit: string][] = [
  [60_000, 1_000, 's'],
  [3_600_000, 60_000, 'min'],
  [86_400_000, 3_600_000, 'h'],
  [Infinity, 86_400_000, 'd'],
];

/** A duration in the largest unit that keeps it ≥ 1, e.g. '42 s', '3 min', '5 h', '2 d'. */
export function duration(ms: number): string {
  const value = Math.max(0, ms);
  for (const [limit, size, unit] of UNITS) {
    if (value < limit) return `${Math.floor(value / size)} ${unit}`;
  }
  return `${Math.floor(value / 86_400_000)} d`;
}

/** How long ago an ISO time was, from `now` (ms since the epoch). */
export function age(iso: string | null, now: number): string {
  if (iso === null) return '–';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? '–' : `${duration(now - at)} ago`;
}

/** An ISO time as the reader's local date and time (to the second). */
export function dateTime(iso: string | null): string {
  if (iso === null) return '–';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? '–' : at.toLocaleString(undefined, { hour12: false });
}
