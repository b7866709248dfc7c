import type { GpuDto } from '@brier/contracts';
import { Injectable, Logger } from '@nestjs/common';

import { AgentConfig } from '../config/agent.config.js';
import type { Gpu, GpuInventory } from './gpu-inventory.js';
import { NvidiaSmi } from './nvidia-smi.repository.js';
import { NvmlReader, type NvmlReaderCommand } from './nvml-reader.js';

/** uv, Python, pynvml's import and nvmlInit: well under a second on a host that has them. */
const NVML_START_DEADLINE_MS = 30_000;
/** An NVML read takes microseconds; one this late means a wedged driver (nvidia-smi then says so). */
const NVML_READ_DEADLINE_MS = 5_000;
/** After the reader failed or could not start, how long reads go to nvidia-smi before it is tried again. */
const NVML_RETRY_MS = 5 * 60_000;

/**
 * The host's GPUs as of the last read. Heartbeats re-read memory; placement reads the compute
 * processes fresh before each decision (a GPU a researcher just started using must not look free).
 * Reads go through NVML when `useNvml` found it (a read in microseconds, from one long-lived
 * process), through nvidia-smi otherwise (~22 ms a call), and through nvidia-smi for any read the
 * NVML reader fails (see `retire`).
 */
@Injectable()
export class GpuInventoryService {
  private readonly logger = new Logger(GpuInventoryService.name);
  private readonly nvidiaSmi: NvidiaSmi;
  private last: GpuInventory = [];
  private nvmlCommand: NvmlReaderCommand | null = null;
  private nvml: NvmlReader | null = null;
  private nvmlRetryAt = Infinity;
  private nvmlStarting: Promise<void> | null = null;
  private nvmlUnavailable: string | null = null;

  constructor(config: AgentConfig) {
    this.nvidiaSmi = new NvidiaSmi({ binary: config.NVIDIA_SMI_BIN });
  }

  /** Boot: read the GPUs through an NVML reader started with `command` from now on, where it can start. */
  async useNvml(command: NvmlReaderCommand): Promise<void> {
    this.nvmlCommand = command;
    await this.startNvml();
  }

  /** GPUs and their memory, for registration and heartbeats (no processes: placement reads those). */
  async refresh(): Promise<GpuInventory> {
    this.last = await this.read({ processes: false });
    return this.last;
  }

  /**
   * For placement: the GPUs with their compute processes read now. Through nvidia-smi, the GPUs
   * are those last read (heartbeats re-read them) with one call for the processes instead of three.
   */
  async withCurrentProcesses(): Promise<GpuInventory> {
    if (this.last.length === 0 || this.liveNvml() !== null) return this.read({ processes: true });
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

  /** Shutdown: ends the NVML reader (it would end with the agent anyway: its input is the agent's pipe). */
  async close(): Promise<void> {
    this.nvmlCommand = null;
    await this.nvmlStarting;
    const reader = this.nvml;
    this.nvml = null;
    await reader?.close();
  }

  private async read(options: { processes: boolean }): Promise<GpuInventory> {
    const reader = this.liveNvml();
    if (reader !== null) {
      try {
        return await reader.inventory(NVML_READ_DEADLINE_MS, options);
      } catch (error) {
        this.retire(reader, (error as Error).message);
      }
    }
    return this.nvidiaSmi.inventory(options);
  }

  /** The reader while it can answer; otherwise null, after starting a new one in the background when due. */
  private liveNvml(): NvmlReader | null {
    if (this.nvml !== null && this.nvml.dead === null) return this.nvml;
    if (this.nvml !== null) this.retire(this.nvml, this.nvml.dead!);
    if (this.nvmlCommand !== null && this.nvmlStarting === null && Date.now() >= this.nvmlRetryAt) {
      // Not awaited: a placement must not wait for a Python to start.
      void this.startNvml();
    }
    return null;
  }

  /**
   * A reader that failed a read or died: nvidia-smi answers until a new one runs. A new NVML
   * session is what fixes a stale one (a driver reloaded under it), so a reader that had worked is
   * replaced at the next read; one that never answered is retried only NVML_RETRY_MS later.
   */
  private retire(reader: NvmlReader, why: string): void {
    if (this.nvml !== reader) return;
    this.nvml = null;
    this.nvmlRetryAt = reader.answered > 0 ? Date.now() : Date.now() + NVML_RETRY_MS;
    this.logger.warn(`${why}; reading GPUs with nvidia-smi until a new NVML reader runs`);
    reader.close().catch((error: unknown) => {
      this.logger.error(`cannot stop the NVML reader (pid ${reader.pid}): ${(error as Error).message}`);
    });
  }

  private startNvml(): Promise<void> {
    const command = this.nvmlCommand;
    if (command === null) return Promise.resolve();
    this.nvmlStarting = NvmlReader.start(command, NVML_START_DEADLINE_MS)
      .then(async (started) => {
        if (this.nvmlCommand === null) {
          if (started.kind === 'ready') await started.reader.close();
          return;
        }
        if (started.kind === 'ready') {
          this.nvml = started.reader;
          this.nvmlUnavailable = null;
          this.logger.log(`reading GPUs through NVML (${started.reader.description})`);
          return;
        }
        this.nvmlRetryAt = Date.now() + NVML_RETRY_MS;
        // Said once per reason: a host without NVML tries again every few minutes, quietly.
        if (started.reason !== this.nvmlUnavailable) {
          this.nvmlUnavailable = started.reason;
          this.logger.warn(`NVML cannot be read here (${started.reason}); reading GPUs with nvidia-smi`);
        }
      })
      .catch((error: unknown) => {
        this.nvmlRetryAt = Date.now() + NVML_RETRY_MS;
        this.logger.error(`cannot start the NVML reader: ${(error as Error).message}`);
      })
      .finally(() => {
        this.nvmlStarting = null;
      });
    return this.nvmlStarting;
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
