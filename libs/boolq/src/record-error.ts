/** A BoolQ line that cannot become an example: says which line and what is wrong with it. */
export class BoolQRecordError extends Error {
  constructor(
    /** 1-based line number in the source file. */
    readonly line: number,
    /** What is wrong, without the line number (e.g. `missing field "question"`). */
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'BoolQRecordError';
  }
}
