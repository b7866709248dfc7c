/** What a run does. Stored in Postgres and sent to agents: never rename a value without a migration. */
export const RUN_KINDS = ['train', 'eval', 'import'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
