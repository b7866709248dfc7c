import { createRedisClient, type RedisClient } from '@brier/config';
import { QUEUES } from '@brier/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { Worker } from 'bullmq';

import { AgentConfig } from '../config/agent.config.js';
import { GpuInventoryService } from '../gpus/gpu-inventory.service.js';
import { RunJobProcessor } from '../runs/run-job.processor.js';

/**
 * The agent's BullMQ worker on the runs queue. Its concurrency is what the host can hold at once
 * (one run per GPU, plus AGENT_CPU_SLOTS runs that need none); each job is placed by the processor,
 * which hands back what does not fit. BullMQ renews the job's lock while the run lasts, and its
 * stalled check re-queues the job of an agent that died (the API's reaper does the same for the run).
 */
@Injectable()
export class RunQueueWorker {
  private readonly logger = new Logger(RunQueueWorker.name);
  private worker: Worker | null = null;
  private connection: RedisClient | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly gpus: GpuInventoryService,
    private readonly processor: RunJobProcessor,
  ) {}

  get concurrency(): number {
    return Math.max(1, this.gpus.current.length + this.config.AGENT_CPU_SLOTS);
  }

  start(): void {
    if (this.worker) return;
    // BullMQ workers need blocking commands to wait forever and retry forever (its docs).
    this.connection = createRedisClient(this.config, {
      maxRetriesPerRequest: null,
      connectionName: `brier-agent-${this.config.AGENT_NAME}`,
    });
    this.connection.on('error', (error: Error) => this.logger.warn(`Redis: ${error.message}`));
    this.worker = new Worker(QUEUES.runs, (job, token) => this.processor.process(job, token), {
      connection: this.connection,
      prefix: this.config.BRIER_QUEUE_PREFIX,
      concurrency: this.concurrency,
      // A dead agent's job is found stalled (and delivered again) within about two of these.
      lockDuration: this.config.AGENT_JOB_LOCK_MS,
      stalledInterval: this.config.AGENT_JOB_LOCK_MS,
      // One stall (the agent died) re-queues the job; a second fails it rather than loop forever.
      maxStalledCount: 1,
      autorun: true,
    });
    this.worker.on('error', (error: Error) => this.logger.error(`worker: ${error.message}`));
    this.worker.on('failed', (job, error) => {
      if (job) this.logger.warn(`job ${job.id ?? '?'} failed: ${error.message}`);
    });
    this.logger.log(
      `pulling runs from "${this.config.BRIER_QUEUE_PREFIX}:${QUEUES.runs}", ${this.concurrency} at once`,
    );
  }

  /** Stops taking jobs and waits (with the caller's deadline) for the ones in progress to end. */
  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.close();
    await this.connection?.quit().catch(() => this.connection?.disconnect());
    this.connection = null;
  }

  /** Stops taking new jobs; the running ones go on. */
  async pause(): Promise<void> {
    await this.worker?.pause(true);
  }
}
