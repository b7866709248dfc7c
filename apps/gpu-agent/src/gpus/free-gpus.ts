import type { Gpu, GpuInventory } from './gpu-inventory.js';

/**
 * Why a GPU can or cannot take a new run:
 * - `free`: not reserved by this agent, no compute process on it;
 * - `reserved`: this agent reserved it for a run (whatever runs on it);
 * - `busy-foreign`: not reserved, and a process the agent does not own holds it (another agent,
 *   a researcher's notebook, an orphan of an earlier incarnation);
 * - `busy-own`: not reserved, but the agent's own processes still hold it (a run whose
 *   reservation was released while its processes were still exiting);
 * - `busy-memory`: no process visible, yet more memory used than `busyMemoryMiB` (nvidia-smi in
 *   a container often cannot see other containers' processes). Only with that option.
 */
export type GpuState = 'free' | 'reserved' | 'busy-foreign' | 'busy-own' | 'busy-memory';

export interface GpuAvailability {
  gpu: Gpu;
  state: GpuState;
  /** PIDs on this GPU the agent does not own; on a reserved GPU these are intruders. */
  foreignPids: number[];
}

export interface FreeGpuOptions {
  /** Treat a GPU with no visible process but at least this much memory used as busy. Off by default. */
  busyMemoryMiB?: number;
}

/** The state of every GPU, in index order. Pure: the caller gathers reservations and its PIDs. */
export function gpuAvailability(
  inventory: GpuInventory,
  reservedByMe: Iterable<number>,
  ownPids: Iterable<number>,
  options: FreeGpuOptions = {},
): GpuAvailability[] {
  const reserved = new Set(reservedByMe);
  const own = new Set(ownPids);
  return [...inventory]
    .sort((a, b) => a.index - b.index)
    .map((gpu) => {
      const pids = [...new Set(gpu.processes.map((process) => process.pid))];
      const foreignPids = pids.filter((pid) => !own.has(pid));
      return { gpu, state: stateOf(gpu, reserved, pids, foreignPids, options), foreignPids };
    });
}

function stateOf(
  gpu: Gpu,
  reserved: ReadonlySet<number>,
  pids: readonly number[],
  foreignPids: readonly number[],
  options: FreeGpuOptions,
): GpuState {
  if (reserved.has(gpu.index)) return 'reserved';
  if (foreignPids.length > 0) return 'busy-foreign';
  if (pids.length > 0) return 'busy-own';
  const threshold = options.busyMemoryMiB;
  if (threshold !== undefined && gpu.memoryUsedMiB !== null && gpu.memoryUsedMiB >= threshold) {
    return 'busy-memory';
  }
  return 'free';
}

/** The GPUs a new run may reserve, in index order. */
export function freeGpus(
  inventory: GpuInventory,
  reservedByMe: Iterable<number>,
  ownPids: Iterable<number>,
  options: FreeGpuOptions = {},
): Gpu[] {
  return gpuAvailability(inventory, reservedByMe, ownPids, options)
    .filter((availability) => availability.state === 'free')
    .map((availability) => availability.gpu);
}
