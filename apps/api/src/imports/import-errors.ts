import type { LoadSummary } from '../rollouts/rollout-loader.js';

/** The import run was cancelled (or is no longer running) while its rows were being stored. */
export class ImportCancelledError extends Error {}

/** Some lines of the rollout file are invalid: nothing is stored, the answer lists them. */
export class ImportLinesError extends Error {
  constructor(
    readonly summary: LoadSummary,
    readonly file: string,
  ) {
    super(`${summary.errorLines} of ${summary.received} line(s) of ${file} are invalid`);
  }
}
