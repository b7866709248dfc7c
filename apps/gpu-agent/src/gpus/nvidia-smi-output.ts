import type { Gpu, GpuInventory, GpuProcess } from './gpu-inventory.js';

/**
 * What the agent asks nvidia-smi, and pure parsers for its answers. The CSV format is
 * `csv,noheader,nounits`: one line per item, values separated by ", ", numbers without "MiB".
 * Kept free of I/O so that realistic outputs can be tested without a GPU.
 */

export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'driver_version',
] as const;
export const COMPUTE_APPS_FIELDS = ['pid', 'gpu_uuid', 'used_memory'] as const;

const CSV_FORMAT = '--format=csv,noheader,nounits';
export const GPU_QUERY_ARGS: readonly string[] = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, CSV_FORMAT];
export const COMPUTE_APPS_ARGS: readonly string[] = [
  `--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`,
  CSV_FORMAT,
];
/** No flags: the summary table, whose header carries "CUDA Version: X.Y" (no query field does). */
export const HEADER_ARGS: readonly string[] = [];

/** Printed (exit code 6) by a host whose driver works but that has no GPU. Zero GPUs, not an error. */
export const NO_DEVICES = /^No devices were found/m;

/** A line nvidia-smi printed that does not have the shape asked for. */
export class NvidiaSmiParseError extends Error {
  constructor(what: string, line: string, why: string) {
    super(`unexpected nvidia-smi ${what} line (${why}): ${JSON.stringify(line.slice(0, 200))}`);
    this.name = 'NvidiaSmiParseError';
  }
}

/** A GPU as the query gives it, before processes and the CUDA version are attached. */
export type GpuRow = Omit<Gpu, 'cudaVersion' | 'processes'>;

/** nvidia-smi's placeholders for a value it cannot give: [N/A], [Not Supported], [Unknown Error], … */
function isUnavailable(value: string): boolean {
  return value === '' || value === 'N/A' || /^\[[^\]]*\]$/.test(value);
}

function dataLines(stdout: string): string[] {
  return stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * Split one CSV line into exactly `count` values; `free` is the index of the one value that may
 * itself contain commas (a GPU name), which takes whatever the others leave.
 */
function splitFields(line: string, count: number, free: number | null, what: string): string[] {
  const parts = line.split(',');
  if (parts.length === count || (free !== null && parts.length > count)) {
    const extra = parts.length - count;
    const merged =
      free === null || extra === 0
        ? parts
        : [
            ...parts.slice(0, free),
            parts.slice(free, free + extra + 1).join(','),
            ...parts.slice(free + extra + 1),
          ];
    return merged.map((part) => part.trim());
  }
  throw new NvidiaSmiParseError(what, line, `expected ${count} values, got ${parts.length}`);
}

function integer(value: string, what: string, line: string, field: string): number {
  if (!/^\d+$/.test(value)) throw new NvidiaSmiParseError(what, line, `${field} is not an integer`);
  return Number(value);
}

/** MiB, or null for a placeholder; "81559" or "81559 MiB" (in case units slipped through). */
function mib(value: string, what: string, line: string, field: string): number | null {
  if (isUnavailable(value)) return null;
  const match = /^(\d+)(?: MiB)?$/.exec(value);
  if (!match) throw new NvidiaSmiParseError(what, line, `${field} is not a MiB count`);
  return Number(match[1]);
}

function text(value: string): string | null {
  return isUnavailable(value) ? null : value;
}

/** `--query-gpu=index,uuid,name,memory.total,memory.used,driver_version`; "No devices were found" → []. */
export function parseGpuQuery(stdout: string): GpuRow[] {
  if (NO_DEVICES.test(stdout)) return [];
  const rows = dataLines(stdout).map((line) => {
    const [index, uuid, name, total, used, driver] = splitFields(line, GPU_QUERY_FIELDS.length, 2, 'GPU');
    if (uuid === undefined || isUnavailable(uuid)) throw new NvidiaSmiParseError('GPU', line, 'no UUID');
    if (name === undefined || driver === undefined) throw new NvidiaSmiParseError('GPU', line, 'short line');
    return {
      index: integer(index ?? '', 'GPU', line, 'index'),
      uuid,
      name,
      memoryTotalMiB: mib(total ?? '', 'GPU', line, 'memory.total'),
      memoryUsedMiB: mib(used ?? '', 'GPU', line, 'memory.used'),
      driverVersion: text(driver),
    };
  });
  const seen = new Set<number>();
  for (const row of rows) {
    if (seen.has(row.index))
      throw new NvidiaSmiParseError('GPU', `index ${row.index}`, 'the same index twice');
    seen.add(row.index);
  }
  return rows.sort((a, b) => a.index - b.index);
}

/** `--query-compute-apps=pid,gpu_uuid,used_memory`; empty output (or "No running processes found") → []. */
export function parseComputeApps(stdout: string): GpuProcess[] {
  return dataLines(stdout)
    .filter((line) => !/^No running (?:compute )?processes found/i.test(line))
    .map((line) => {
      const [pid, gpuUuid, used] = splitFields(line, COMPUTE_APPS_FIELDS.length, null, 'compute-app');
      if (gpuUuid === undefined || isUnavailable(gpuUuid))
        throw new NvidiaSmiParseError('compute-app', line, 'no GPU UUID');
      return {
        pid: integer(pid ?? '', 'compute-app', line, 'pid'),
        gpuUuid,
        usedMemoryMiB: mib(used ?? '', 'compute-app', line, 'used_memory'),
      };
    });
}

/** "CUDA Version: 12.4" from the summary table's header; null when absent or "N/A". */
export function parseCudaVersion(summary: string): string | null {
  return /CUDA Version:\s*(\d+(?:\.\d+)+)/.exec(summary)?.[1] ?? null;
}

/**
 * The inventory: each GPU with the CUDA version and its processes (matched by UUID). A process
 * on a UUID that no GPU has (a MIG instance reported by its own UUID) is attached to nothing.
 */
export function assembleInventory(
  rows: readonly GpuRow[],
  processes: readonly GpuProcess[],
  cudaVersion: string | null,
): GpuInventory {
  return rows.map((row) => ({
    ...row,
    cudaVersion,
    processes: processes.filter((process) => process.gpuUuid === row.uuid),
  }));
}
