import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';

import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';

import { AgentConfig } from '../config/agent.config.js';
import { GpuInventoryService } from '../gpus/gpu-inventory.service.js';
import { nvmlReaderCommand } from '../gpus/nvml-reader-command.js';
import { ProcessLedger } from '../process/process-ledger.js';
import { PrimeRlInstallation } from '../prime-rl/prime-rl-installation.js';
import { HeldRuns } from '../runs/held-runs.js';
import { AgentSession } from '../session/agent-session.service.js';
import { RunSignalListener } from '../session/run-signal-listener.js';
import { RunQueueWorker } from '../worker/run-queue.worker.js';
import { exitAgent } from './exit-agent.js';

const LEFTOVERS_DEADLINE_MS = 30_000;

/** Whether `promise` resolves within `ms`; it rejects if `promise` rejects first. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(() => true);
  settled.catch(() => undefined); // failing after the deadline: the shutdown has moved on by then
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The order things happen in, in one place. Boot: kill what a previous incarnation left running
 * (its leases die with the new registration, so its processes must too), check prime-rl and start
 * the NVML reader on its Python, register, heartbeat, then take work. Shutdown (SIGTERM): stop
 * taking work, stop the runs (SIGINT, then SIGKILL after the grace period), report them, stop
 * heartbeating, then end the NVML reader.
 */
@Injectable()
export class AgentLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(AgentLifecycle.name);

  constructor(
    private readonly config: AgentConfig,
    private readonly ledger: ProcessLedger,
    private readonly session: AgentSession,
    private readonly worker: RunQueueWorker,
    private readonly held: HeldRuns,
    private readonly primeRl: PrimeRlInstallation,
    private readonly signals: RunSignalListener,
    private readonly gpus: GpuInventoryService,
  ) {}

  private connecting: Promise<void> | null = null;
  private shuttingDown = false;

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(resolve(this.config.AGENT_WORK_DIR), { recursive: true });
    const leftovers = await this.ledger.killLeftovers(LEFTOVERS_DEADLINE_MS);
    for (const leftover of leftovers) {
      const recorded =
        leftover.pgid === null ? 'never recorded' : `recorded as process group ${leftover.pgid}`;
      this.logger.warn(
        `run ${leftover.runId}: processes of a previous incarnation (${recorded}) ` +
          (leftover.found
            ? `were still alive; killed group(s) ${leftover.killedGroups.join(', ')}`
            : 'were already gone'),
      );
    }
    const missing = await this.primeRl.check();
    if (missing !== null) {
      this.logger.warn(`prime-rl cannot run on this host: ${missing}. Taking only runs that need no GPU`);
    } else if (this.config.AGENT_GPU_READER === 'nvml') {
      // Before registering, so the inventory it reports is NVML's too.
      await this.gpus.useNvml(nvmlReaderCommand(this.config));
    }
    // In the background: an API that is not up yet must not keep the agent from answering signals.
    this.connecting = this.connect().catch((error: unknown) => {
      if (this.shuttingDown) return;
      this.logger.error(
        `cannot register with the API: ${error instanceof Error ? error.message : String(error)}`,
      );
      // Without a registration the agent can do nothing; its supervisor restarts it.
      exitAgent(1);
    });
  }

  private async connect(): Promise<void> {
    await this.session.register();
    if (this.shuttingDown) return;
    this.session.startHeartbeats();
    this.signals.start();
    this.worker.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shuttingDown = true;
    this.logger.log(`${signal ?? 'shutdown'}: no new runs; stopping ${this.held.size} running run(s)`);
    // Still waiting for the API: stop waiting. Registered: heartbeats go on until the runs are reported.
    if (!this.session.registered) await this.session.stop();
    await this.connecting;
    await this.worker.pause();
    const running = this.held.size;
    this.held.closeAll('shutdown');
    // Bounded: with the API down as well (a host going away), reports would be retried for minutes.
    const deadlineMs = this.config.RUN_STOP_GRACE_MS + this.config.AGENT_SHUTDOWN_REPORT_MS;
    if (!(await settlesWithin(this.worker.stop(), deadlineMs))) {
      this.logger.error(
        `${running} run(s) not reported within ${deadlineMs} ms of the shutdown (is the API reachable?): ` +
          `exiting anyway; the API's reaper re-queues them and they resume from their last checkpoint`,
      );
      process.exitCode = 1;
    }
    await this.session.stop();
    await this.signals.stop();
    await this.gpus.close();
  }
}
