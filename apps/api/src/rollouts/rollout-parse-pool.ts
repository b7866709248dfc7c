import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { Injectable, ServiceUnavailableException, type OnModuleDestroy } from '@nestjs/common';

import { parseRolloutChunk, type ChunkTask } from './rollout-chunk.parser.js';
import { RolloutLimitsConfig } from './rollout-limits.config.js';
import type { ParseReply, ParseRequest } from './rollout-parse.worker.js';
import type { RecordsResult } from './rollout-records.js';

interface Job {
  task: ChunkTask;
  signal: AbortSignal | undefined;
  resolve: (result: RecordsResult) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  job: { id: number; job: Job } | null;
}

/** How to start a worker: the built .js, or (tests) the .ts source through the repository's TS hooks. */
function workerEntry(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { url: new URL('./rollout-parse.worker.js', here) };
  const loader = fileURLToPath(new URL('../../../../test/support/register-ts-thread.mjs', here));
  return {
    url: new URL('./rollout-parse.worker.ts', here),
    execArgv: ['--conditions=@brier/source', '--import', loader],
  };
}

/**
 * Worker threads that parse, validate, score and encode chunks of rollout lines
 * (rollout-parse.worker.ts), so that the API's own thread only moves bytes: reading a body,
 * handing chunks out and writing the encoded rows to Postgres overlap with parsing. Workers start
 * on first use and stay (unref'd: they never keep the process alive); a worker that dies fails its
 * chunk and is replaced. With ROLLOUTS_PARSE_THREADS = 0 chunks are parsed in the API's thread.
 */
@Injectable()
export class RolloutParsePool implements OnModuleDestroy {
  readonly size: number;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(limits: RolloutLimitsConfig) {
    this.size = limits.ROLLOUTS_PARSE_THREADS;
  }

  /**
   * Parse one chunk (in order of calls when threads are free; results may arrive in any order).
   * A chunk whose `signal` aborts before a thread takes it is not parsed (its promise rejects).
   */
  parse(task: ChunkTask, signal?: AbortSignal): Promise<RecordsResult> {
    // Closed: the API is shutting down. A request still arriving on an old keep-alive connection
    // gets a 503 (retry shortly, at the next API), not a 500 a client would take as a refusal.
    if (this.closed) {
      return Promise.reject(new ServiceUnavailableException('the API is shutting down; try again shortly'));
    }
    if (this.size === 0) {
      return new Promise((resolve, reject) =>
        setImmediate(() => {
          if (signal?.aborted) reject(signal.reason as Error);
          else resolve(parseRolloutChunk(task));
        }),
      );
    }
    return new Promise<RecordsResult>((resolve, reject) => {
      this.queue.push({ task, signal, resolve, reject });
      this.dispatch();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const error = new Error('the API is shutting down');
    for (const job of this.queue.splice(0)) job.reject(error);
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let free = this.workers.find((w) => w.job === null);
      if (!free) {
        if (this.workers.length >= this.size) return;
        free = this.start();
      }
      const job = this.queue.shift()!;
      if (job.signal?.aborted) {
        job.reject(job.signal.reason as Error);
        continue;
      }
      const id = this.nextId++;
      free.job = { id, job };
      const request: ParseRequest = { id, task: job.task };
      free.worker.postMessage(request, [job.task.bytes.buffer as ArrayBuffer]);
    }
  }

  private start(): PoolWorker {
    const { url, execArgv } = workerEntry();
    // A chunk's records live until it is encoded: a young generation that holds a few chunks'
    // worth makes scavenges rarer (each copies what is live, whatever the space's size).
    const resourceLimits = { maxYoungGenerationSizeMb: 64 };
    const worker = new Worker(
      url,
      execArgv === undefined ? { resourceLimits } : { execArgv, resourceLimits },
    );
    worker.unref();
    const entry: PoolWorker = { worker, job: null };
    worker.on('message', (reply: ParseReply) => {
      const running = entry.job;
      if (running === null || running.id !== reply.id) return;
      entry.job = null;
      if ('result' in reply) running.job.resolve(reply.result);
      else running.job.reject(Object.assign(new Error(reply.error.message), reply.error));
      this.dispatch();
    });
    const lost = (error: Error) => {
      const index = this.workers.indexOf(entry);
      if (index === -1) return;
      this.workers.splice(index, 1);
      entry.job?.job.reject(error);
      entry.job = null;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a rollout parse worker exited (code ${code})`)));
    this.workers.push(entry);
    return entry;
  }
}
