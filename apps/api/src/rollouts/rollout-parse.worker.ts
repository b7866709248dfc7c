// A parse worker (RolloutParsePool): chunks of NDJSON lines in, encoded rollouts and line errors
// out. Imports only what parsing needs (no Nest, no TypeORM), so that it starts in ~0.1 s.
import { parentPort } from 'node:worker_threads';

import { rolloutBatchTransferList } from '@brier/database/rollout-batch';

import { parseRolloutChunk, type ChunkTask } from './rollout-chunk.parser.js';

export interface ParseRequest {
  id: number;
  task: ChunkTask;
}

export type ParseReply =
  | { id: number; result: ReturnType<typeof parseRolloutChunk> }
  | { id: number; error: { name: string; message: string; stack?: string } };

const port = parentPort;
if (port === null) throw new Error('rollout-parse.worker runs as a worker thread');

port.on('message', ({ id, task }: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id, result: parseRolloutChunk(task) };
  } catch (error) {
    const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
    reply = { id, error: { name, message, ...(stack === undefined ? {} : { stack }) } };
  }
  const batch = 'result' in reply ? reply.result.batch : null;
  port.postMessage(reply, batch === null ? [] : rolloutBatchTransferList(batch));
});
