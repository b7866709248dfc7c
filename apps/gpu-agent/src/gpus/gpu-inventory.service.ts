import type { GpuDto } from '@brier/contracts';
import { Injectable } from '@nestjs/common';

import { AgentConfig } from '../config/agent.config.js';
import type { Gpu, GpuInventory } from './gpu-inventory.js';
import { NvidiaSmi } from './nvidia-smi.repository.js';

/**
 * The host's GPUs as of the last read. Heartbeats re-read memory (one nvidia-smi call); placement
 * reads the compute processes fresh before each decision (a GPU a researcher just started using
 * must not look free).
 */
@Injectable()
export class GpuInventoryService {
  private readonly nvidiaSmi: NvidiaSmi;
  private last: GpuInventory = [];

  constructor(config: AgentConfig) {
    this.nvidiaSmi = new NvidiaSmi({ binary: config.NVIDIA_SMI_BIN });
  }

  /** GPUs and their memory, for registration and heartbeats (no processes: placement reads those). */
  async refresh(): Promise<GpuInventory> {
    this.last = await this.nvidiaSmi.inventory({ processes: false });
    return this.last;
  }

  /**
   * For placement: the GPUs as last read (heartbeats re-read them), with their compute processes
   * read now — one nvidia-smi call instead of three, on the path from a job to its process.
   */
  async withCurrentProcesses(): Promise<GpuInventory> {
    if (this.last.length === 0) return (this.last = await this.nvidiaSmi.inventory());
    const processes = await this.nvidiaSmi.computeApps();
    return this.last.map((gpu) => ({
      ...gpu,
      processes: processes.filter((process) => process.gpuUuid === gpu.uuid),
    }));
  }

  get current(): GpuInventory {
    return this.last;
  }

  /** The inventory as the API takes it (registration, heartbeats). */
  report(): GpuDto[] {
    return this.last.map(toGpuDto);
  }
}

/** nvidia-smi can't always give memory or driver ("[N/A]" in some containers); the API wants numbers. */
export function toGpuDto(gpu: Gpu): GpuDto {
  return {
    index: gpu.index,
    uuid: gpu.uuid,
    name: gpu.name,
    memoryTotalMiB: gpu.memoryTotalMiB ?? 0,
    memoryUsedMiB: gpu.memoryUsedMiB ?? 0,
    driverVersion: gpu.driverVersion ?? 'unknown',
    cudaVersion: gpu.cudaVersion,
  };
}
