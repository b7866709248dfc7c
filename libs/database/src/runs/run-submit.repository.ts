import type { DataSource } from 'typeorm';

import { insertRun } from './run-insert.js';
import type { CreateRunInput, CreateRunResult } from './run.repository.js';

/**
 * The write of POST /v1/runs: a queued run and its 'created' event in one statement (insertRun,
 * the same as RunRepository.create), a repeated or concurrent idempotency key answering the
 * existing run.
 */
export class RunSubmitRepository {
  constructor(private readonly dataSource: DataSource) {}

  create(input: CreateRunInput): Promise<CreateRunResult> {
    return insertRun(this.dataSource, input);
  }
}
