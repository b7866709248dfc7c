// The repositories of the researcher-facing runs API and the queue reconciler (apps/api/src/runs,
// apps/api/src/queue), exported from the package index in one line.
export { RunControlRepository, type QueuedRunsQuery, type RunEventInput } from './run-control.repository.js';
export { RunHistoryRepository, type RunEventPage, type RunEventsQuery } from './run-history.repository.js';
export { RunSearchRepository, type SearchRunsQuery } from './run-search.repository.js';
export { RunSubmitRepository } from './run-submit.repository.js';
