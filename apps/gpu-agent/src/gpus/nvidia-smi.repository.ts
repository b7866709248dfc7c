import { execa } from 'execa';

import type { GpuInventory, GpuProcess } from './gpu-inventory.js';
import {
  assembleInventory,
  COMPUTE_APPS_ARGS,
  GPU_QUERY_ARGS,
  HEADER_ARGS,
  NO_DEVICES,
  parseComputeApps,
  parseCudaVersion,
  parseGpuQuery,
} from './nvidia-smi-output.js';

export interface NvidiaSmiOptions {
  /**
   * The program: a name looked up on PATH (missing = zero GPUs), or a path (missing = an error).
   * Default `nvidia-smi`.
   */
  binary?: string;
  /** Per call; a wedged driver can make nvidia-smi hang for minutes. Default 15 s. */
  timeoutMs?: number;
  /** Extra environment for the calls (tests point PATH or the fake's data file here). */
  env?: Record<string, string>;
}

/** nvidia-smi ran but failed: timeout, a driver error, output that does not parse. */
export class NvidiaSmiError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NvidiaSmiError';
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;
const MESSAGE_CHARS = 500;

/** What one call gave: its stdout, or that the host has no nvidia-smi / no GPU. */
type CallOutcome = { kind: 'output'; stdout: string } | { kind: 'no-gpus' };

/**
 * The host's GPUs through nvidia-smi (the only thing in the agent that runs it). No nvidia-smi
 * on PATH, or a driver that reports "No devices were found", is a host with zero GPUs: the agent
 * then takes only work that needs none. Anything else that goes wrong is an NvidiaSmiError that
 * says which call failed and what nvidia-smi printed.
 */
export class NvidiaSmi {
  private readonly binary: string;
  private readonly timeoutMs: number;
  private readonly env: Record<string, string>;
  /** The CUDA version nvidia-smi's header gave, and the driver version it was read with. */
  private header: { driverVersion: string | null; cudaVersion: string | null } | null = null;

  constructor(options: NvidiaSmiOptions = {}) {
    this.binary = options.binary ?? 'nvidia-smi';
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.env = options.env ?? {};
  }

  /**
   * Every GPU with its memory, driver and CUDA version, and its compute processes unless
   * `processes: false` (then each GPU's list is empty: one call instead of two, for heartbeats,
   * which report memory only). The CUDA version comes from nvidia-smi's header, read once per
   * driver version: it is the driver's, so only a new driver changes it.
   */
  async inventory(options: { processes?: boolean } = {}): Promise<GpuInventory> {
    const query = await this.call(GPU_QUERY_ARGS);
    if (query.kind === 'no-gpus') return [];
    const rows = this.parse(GPU_QUERY_ARGS, () => parseGpuQuery(query.stdout));
    if (rows.length === 0) return [];
    const [cudaVersion, processes] = await Promise.all([
      this.cudaVersionOf(rows[0]!.driverVersion),
      options.processes === false ? [] : this.computeApps(),
    ]);
    return assembleInventory(rows, processes, cudaVersion);
  }

  /** Compute processes on any GPU (what to compare against the agent's own before taking work). */
  async computeApps(): Promise<GpuProcess[]> {
    const apps = await this.call(COMPUTE_APPS_ARGS);
    if (apps.kind === 'no-gpus') return [];
    return this.parse(COMPUTE_APPS_ARGS, () => parseComputeApps(apps.stdout));
  }

  private async cudaVersionOf(driverVersion: string | null): Promise<string | null> {
    if (this.header !== null && this.header.driverVersion === driverVersion) return this.header.cudaVersion;
    const header = await this.call(HEADER_ARGS);
    const cudaVersion = header.kind === 'output' ? parseCudaVersion(header.stdout) : null;
    this.header = { driverVersion, cudaVersion };
    return cudaVersion;
  }

  private parse<T>(args: readonly string[], parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      throw new NvidiaSmiError(`${this.describe(args)}: ${(error as Error).message}`, { cause: error });
    }
  }

  private describe(args: readonly string[]): string {
    return [this.binary, ...args].join(' ');
  }

  private async call(args: readonly string[]): Promise<CallOutcome> {
    const result = await execa(this.binary, args, {
      timeout: this.timeoutMs,
      env: this.env,
      reject: false,
      stdin: 'ignore',
    });
    // Not installed is a host without GPUs; a configured path that does not exist is a mistake.
    if (result.code === 'ENOENT' && !this.binary.includes('/')) return { kind: 'no-gpus' };
    if (result.timedOut) {
      throw new NvidiaSmiError(`${this.describe(args)} did not answer within ${this.timeoutMs} ms`);
    }
    const stdout = typeof result.stdout === 'string' ? result.stdout : '';
    const stderr = typeof result.stderr === 'string' ? result.stderr : '';
    if (result.exitCode === 0) return { kind: 'output', stdout };
    if (NO_DEVICES.test(stdout) || NO_DEVICES.test(stderr)) return { kind: 'no-gpus' };
    const printed = (stderr.trim() || stdout.trim() || result.originalMessage || '').slice(0, MESSAGE_CHARS);
    const how =
      result.exitCode !== undefined
        ? `exit code ${result.exitCode}`
        : result.signal
          ? `signal ${result.signal}`
          : (result.code ?? 'could not run');
    throw new NvidiaSmiError(`${this.describe(args)} failed (${how})${printed ? `: ${printed}` : ''}`);
  }
}
