import { randomUUID } from 'node:crypto';

import type { RunJobData } from '@brier/contracts';
import { Injectable } from '@nestjs/common';

import { AgentConfig } from '../config/agent.config.js';
import { GpuInventoryService } from '../gpus/gpu-inventory.service.js';
import { PrimeRlInstallation } from '../prime-rl/prime-rl-installation.js';
import { HeldRuns } from '../runs/held-runs.js';
import { pidsInProcessGroups } from '../runs/process-group-pids.js';
import { placeRun, type Placement } from './run-placement.js';

/** A job let in: its GPUs are set aside until `release()`, which the job's end must call once. */
export interface Admitted {
  kind: 'admitted';
  gpuIndices: number[];
  release(): void;
}

export type Admission = Admitted | { kind: 'busy' | 'never'; reason: string };

/**
 * Whether this agent takes a job now: its placement on free GPUs (placeRun), then the agent's own
 * limit on runs needing no GPU (AGENT_CPU_SLOTS).
 * What it lets in is counted and its GPUs are reserved synchronously after the last await, so two
 * jobs of one worker never pick the same GPU or the same slot.
 */
@Injectable()
export class RunAdmission {
  /** Jobs needing no GPU let in and not released. */
  private cpuRuns = 0;

  constructor(
    private readonly config: AgentConfig,
    private readonly gpus: GpuInventoryService,
    private readonly held: HeldRuns,
    private readonly primeRl: PrimeRlInstallation,
  ) {}

  async admit(jobId: string, data: RunJobData): Promise<Admission> {
    const placement = await this.place(data);
    if (placement.kind !== 'fits') return placement;
    // The worker's concurrency is GPUs + AGENT_CPU_SLOTS: without this bound, runs needing no GPU
    // could fill every slot and leave the GPUs idle.
    const cpuOnly = data.resources.gpuCount === 0;
    if (cpuOnly && this.cpuRuns >= this.config.AGENT_CPU_SLOTS) {
      return { kind: 'busy', reason: `all ${this.config.AGENT_CPU_SLOTS} AGENT_CPU_SLOTS in use` };
    }
    // Reserved for this delivery, not the run: another delivery of the same run (a redelivered or
    // duplicate job, refused at its claim) must not release the GPUs of the attempt that runs.
    const owner = `${data.runId} (job ${jobId}, ${randomUUID()})`;
    this.held.reserveGpus(owner, placement.gpuIndices);
    if (cpuOnly) this.cpuRuns += 1;
    let released = false;
    return {
      kind: 'admitted',
      gpuIndices: placement.gpuIndices,
      release: () => {
        if (released) return;
        released = true;
        this.held.releaseGpus(owner);
        if (cpuOnly) this.cpuRuns -= 1;
      },
    };
  }

  private async place(data: RunJobData): Promise<Placement> {
    const missing = this.primeRl.problem;
    if (data.resources.gpuCount > 0 && missing !== null) {
      // Every GPU run starts prime-rl (training, or the server an evaluation asks).
      return { kind: 'never', reason: `prime-rl cannot run on this agent: ${missing}` };
    }
    const agent = { agentLabels: this.config.AGENT_LABELS, primeRlVersion: this.config.PRIME_RL_VERSION };
    if (data.resources.gpuCount === 0) {
      return placeRun(data.resources, { ...agent, inventory: [], reserved: [], ownPids: [] });
    }
    // Processes only ever take GPUs away: a run that does not fit the last inventory without them
    // (every matching GPU reserved) does not fit with them either. Decided without nvidia-smi, so
    // an agent with a backlog does not fork one for every job it must hand back.
    if (this.gpus.current.length > 0) {
      const withoutProcesses = placeRun(data.resources, {
        ...agent,
        inventory: this.gpus.current.map((gpu) => ({ ...gpu, processes: [] })),
        reserved: this.held.reservedGpus(),
        ownPids: [],
      });
      if (withoutProcesses.kind !== 'fits') return withoutProcesses;
    }
    // Read together: a process of ours that starts between the two reads can only be on a GPU
    // its run already holds, which is not free either way.
    const [inventory, ownPids] = await Promise.all([
      this.gpus.withCurrentProcesses(),
      pidsInProcessGroups(this.held.processGroups()),
    ]);
    return placeRun(data.resources, { ...agent, inventory, reserved: this.held.reservedGpus(), ownPids });
  }
}
