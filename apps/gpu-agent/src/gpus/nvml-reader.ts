import { createInterface } from 'node:readline';

import { execa } from 'execa';

import { signalGroup } from '../process/group-liveness.js';
import type { GpuInventory } from './gpu-inventory.js';

/** How to start `nvml/nvml_reader.py`: in production `uv run --no-sync python <script>` in prime-rl's checkout. */
export interface NvmlReaderCommand {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
}

/** The reader went wrong: no answer within its deadline, an error answer, an exit, a line that is not its protocol. */
export class NvmlReaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NvmlReaderError';
  }
}

export type NvmlStart = { kind: 'ready'; reader: NvmlReader } | { kind: 'unavailable'; reason: string };

interface ReadyLine {
  ready: boolean;
  error?: string;
  driverVersion?: string;
  cudaVersion?: string | null;
  pynvml?: string | null;
}

interface ReaderGpu {
  index: number;
  uuid: string;
  name: string;
  memoryTotalMiB: number | null;
  memoryUsedMiB: number | null;
  processes: { pid: number; usedMemoryMiB: number | null }[];
}

interface AnswerLine {
  id: number;
  gpus?: ReaderGpu[];
  error?: string;
}

interface Pending {
  resolve(gpus: ReaderGpu[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const STDERR_TAIL_CHARS = 2_000;
const CLOSE_DEADLINE_MS = 2_000;

/**
 * One NVML reader process: NVML initialised once, then an inventory per request in well under a
 * millisecond, against ~22 ms for an nvidia-smi call (bench-results/README.md). Every request has
 * a deadline; a reader that misses one is killed (NVML is wedged) and is dead from then on, like
 * one that exits. The process ends with the agent: its stdin is the agent's pipe.
 */
export class NvmlReader {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private answeredReads = 0;
  private deadReason: string | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ReaderProcess,
    private readonly ready: ReadyLine,
    lines: AsyncIterator<string>,
    stderr: StderrTail,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => this.die(`the NVML reader exited${stderr.suffix()}`, { kill: true }));
    // Writing to a reader that just died fails with EPIPE: that is its death, reported by the exit.
    child.stdin.on('error', (error) =>
      this.die(`cannot write to the NVML reader: ${error.message}`, { kill: true }),
    );
    void this.answers(lines).catch((error: unknown) =>
      this.die(`cannot read the NVML reader's output: ${(error as Error).message}`, { kill: true }),
    );
  }

  /** Starts the reader; `unavailable` says why NVML can't be read here (then nvidia-smi is). */
  static async start(command: NvmlReaderCommand, deadlineMs: number): Promise<NvmlStart> {
    const child = spawnReader(command);
    const stderr = new StderrTail(child.stderr);
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity })[Symbol.asyncIterator]();
    const first = await withDeadline(lines.next(), deadlineMs).catch((error: unknown) => error as Error);
    const fail = (reason: string): NvmlStart => {
      killGroup(child.pid);
      child.stdin.destroy();
      return { kind: 'unavailable', reason: `${reason}${stderr.suffix()}` };
    };
    if (first instanceof NvmlReaderError)
      return fail(`the NVML reader did not start within ${deadlineMs} ms`);
    if (first instanceof Error) return fail(`cannot read the NVML reader's output: ${first.message}`);
    if (first.done) {
      // It ended its output: its exit (or why it could not start: no uv) follows at once.
      const result = await withDeadline(child, CLOSE_DEADLINE_MS).catch(() => null);
      const how = result?.failed ? ` (${result.originalMessage || result.shortMessage})` : '';
      return fail(`the NVML reader exited before it was ready${how}`);
    }
    const ready = parseLine<ReadyLine>(first.value);
    if (ready === null || typeof ready.ready !== 'boolean') {
      return fail(`the NVML reader printed ${JSON.stringify(first.value.slice(0, 200))}`);
    }
    if (!ready.ready) return fail(ready.error ?? 'the NVML reader is not ready');
    return { kind: 'ready', reader: new NvmlReader(child, ready, lines, stderr) };
  }

  /** e.g. "nvidia-ml-py 13.590.44, driver 580.159.04, CUDA 13.0". */
  get description(): string {
    return `nvidia-ml-py ${this.ready.pynvml ?? '(version unknown)'}, driver ${this.ready.driverVersion}, CUDA ${this.ready.cudaVersion ?? 'unknown'}`;
  }

  /** The reader's process (uv's, which runs Python). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Reads it answered with an inventory. */
  get answered(): number {
    return this.answeredReads;
  }

  /** Null while it can answer; why it can't any more otherwise. */
  get dead(): string | null {
    return this.deadReason;
  }

  /** Every GPU with its memory and, unless `processes: false`, its compute processes, read now. */
  async inventory(deadlineMs: number, options: { processes?: boolean } = {}): Promise<GpuInventory> {
    if (this.deadReason !== null) throw new NvmlReaderError(this.deadReason);
    const id = this.nextId++;
    const gpus = await new Promise<ReaderGpu[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.die(`the NVML reader did not answer within ${deadlineMs} ms (killed)`, { kill: true });
      }, deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin.write(`${JSON.stringify({ id, processes: options.processes !== false })}\n`);
    });
    return gpus.map((gpu) => ({
      index: gpu.index,
      uuid: gpu.uuid,
      name: gpu.name,
      memoryTotalMiB: gpu.memoryTotalMiB,
      memoryUsedMiB: gpu.memoryUsedMiB,
      driverVersion: this.ready.driverVersion ?? null,
      cudaVersion: this.ready.cudaVersion ?? null,
      processes: gpu.processes.map((process) => ({
        pid: process.pid,
        gpuUuid: gpu.uuid,
        usedMemoryMiB: process.usedMemoryMiB,
      })),
    }));
  }

  /** Ends the reader: end of input, then SIGKILL to its group if it has not exited within 2 s. */
  async close(): Promise<void> {
    this.die('the NVML reader was closed', { kill: false });
    this.child.stdin.end();
    const exited = await withDeadline(this.exited, CLOSE_DEADLINE_MS).then(
      () => true,
      () => false,
    );
    if (!exited) killGroup(this.child.pid);
    await this.exited;
  }

  private async answers(lines: AsyncIterator<string>): Promise<void> {
    for (;;) {
      const next = await lines.next();
      if (next.done) return;
      const answer = parseLine<AnswerLine>(next.value);
      const pending = answer === null ? undefined : this.pending.get(answer.id);
      if (answer === null || pending === undefined) {
        this.die(`the NVML reader printed ${JSON.stringify(next.value.slice(0, 200))}, not an answer`, {
          kill: true,
        });
        return;
      }
      this.pending.delete(answer.id);
      clearTimeout(pending.timer);
      if (Array.isArray(answer.gpus)) {
        this.answeredReads += 1;
        pending.resolve(answer.gpus);
      } else pending.reject(new NvmlReaderError(`NVML: ${answer.error ?? 'no inventory in the answer'}`));
    }
  }

  private die(reason: string, options: { kill: boolean }): void {
    if (this.deadReason === null) this.deadReason = reason;
    if (options.kill) killGroup(this.child.pid);
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new NvmlReaderError(reason));
      this.pending.delete(id);
    }
  }
}

/** The last of what the reader wrote to stderr (a Python traceback's last line says what failed). */
class StderrTail {
  private tail = '';

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (this.tail = (this.tail + chunk).slice(-STDERR_TAIL_CHARS)));
  }

  suffix(): string {
    const text = this.tail.trim();
    return text ? `: ${text.split('\n').at(-1)!.slice(0, 500)}` : '';
  }
}

function spawnReader(command: NvmlReaderCommand) {
  return execa(command.file, command.args, {
    cwd: command.cwd,
    env: command.env,
    extendEnv: false,
    // Its own group, so a missed deadline kills uv and Python together.
    detached: true,
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
  });
}

type ReaderProcess = ReturnType<typeof spawnReader>;

function parseLine<T>(line: string): T | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as T) : null;
  } catch {
    return null;
  }
}

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NvmlReaderError(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    signalGroup(pid, 'SIGKILL'); // false when the group is gone already, which is what killing it is for
  } catch (error) {
    // EPERM: its id now belongs to someone else's group, so ours is gone too.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}
