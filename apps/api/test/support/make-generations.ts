// scripts/bench/make-generations.mjs is plain JavaScript: this describes what tests use of it.
type MakeGenerations = (
  path: string,
  shape: { steps: number; batchSize: number; rolloutsPerExample: number },
) => Promise<void>;

/** A synthetic generations.jsonl of the given shape (seeded: the same file on every machine). */
export const { makeGenerations } = (await import(
  new URL('../../../../scripts/bench/make-generations.mjs', import.meta.url).href
)) as { makeGenerations: MakeGenerations };
