/** One bad variable: its name and everything wrong with it, on one line. */
export interface ConfigProblem {
  readonly variable: string;
  /** e.g. `must be a redis:// URL (got "foo")` */
  readonly message: string;
}

/** Thrown by `validateConfig`: its message has one line per bad variable, `NAME: what is wrong`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `${p.variable}: ${p.message}`).join('\n'));
  }

  /** The message as lines, one per problem. */
  get lines(): string[] {
    return this.problems.map((p) => `${p.variable}: ${p.message}`);
  }
}
