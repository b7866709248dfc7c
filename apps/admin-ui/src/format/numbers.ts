/** A metric for people: 4 decimals (the seed's tables), '–' when unknown. */
export function metric(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** A share as a percentage with one decimal. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value)
    ? '–'
    : `${(value * 100).toFixed(1)}%`;
}

/** MiB of GPU memory as GiB with one decimal. */
export function gib(mib: number): string {
  return `${(mib / 1024).toFixed(1)} GiB`;
}

/** `step/max` progress, e.g. '12/50', '12' without a maximum, '–' before the first step. */
export function progress(step: number | null, max: number | null): string {
  if (step === null) return max === null ? '–' : `–/${max}`;
  return max === null ? String(step) : `${step}/${max}`;
}
