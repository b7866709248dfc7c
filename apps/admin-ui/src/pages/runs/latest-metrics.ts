import type { CompareView } from '../../api/types.js';

/** A run's last step with a value, and the value. */
export interface LatestValue {
  step: number;
  value: number;
}

/** Each run's last non-null value in a comparison (steps come in order). */
export function latestValues(view: CompareView): Map<string, LatestValue> {
  const latest = new Map<string, LatestValue>();
  for (const { step, values } of view.steps) {
    for (const [id, value] of Object.entries(values)) {
      if (value !== null) latest.set(id, { step, value });
    }
  }
  return latest;
}

/** Splits ids into the API's compare limit (20 runs per request). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
