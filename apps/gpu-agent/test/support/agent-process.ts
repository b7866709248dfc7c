import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ProcessLedger, processLedgerDir } from '../../src/process/process-ledger.js';
import { TEST_AGENT_TOKEN } from '../../../api/test/support/test-tokens.js';

export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const FAKE_UV = join(fixtures, 'fake-prime-rl', 'uv');
export const FAKE_NVIDIA_SMI = join(fixtures, 'bin', 'nvidia-smi');

export interface AgentProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `text` shows up on stdout; rejects if the agent exits first or the deadline passes. */
  waitForOutput(text: string | RegExp, deadlineMs?: number): Promise<void>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

/**
 * The real agent (apps/gpu-agent/src/main.ts, from its TypeScript sources through SWC) as a child
 * process, with the test APIs' agent token (TEST_AGENT_TOKEN) unless `env` brings its own.
 */
export function spawnAgent(env: Record<string, string>, args: string[] = []): AgentProcess {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@brier/source',
      '--import',
      './test/support/register-ts.mjs',
      'apps/gpu-agent/src/main.ts',
      ...args,
    ],
    {
      cwd: repoRoot,
      // Only what the agent needs, so the developer's own environment can't change the outcome.
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '/tmp',
        NO_COLOR: '1',
        AGENT_API_TOKEN: TEST_AGENT_TOKEN,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForOutput = (text: string | RegExp, deadlineMs = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const seen = (): boolean => (typeof text === 'string' ? out.includes(text) : text.test(out));
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`agent output has no ${String(text)} after ${deadlineMs} ms:\n${out}\n${err}`));
      }, deadlineMs);
      const check = (): void => {
        if (!seen()) return;
        cleanup();
        resolve();
      };
      const onExit = (code: number | null): void => {
        cleanup();
        if (seen()) resolve();
        else reject(new Error(`agent exited (${String(code)}) before ${String(text)}:\n${out}\n${err}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.off('exit', onExit);
      };
      child.stdout?.on('data', check);
      child.on('exit', onExit);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, exited, waitForOutput };
}

/** A temporary directory removed by cleanupAgents(). */
export function tempDir(prefix = 'brier-agent-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A fake nvidia-smi state file with `count` idle GPUs of `name`; returns its path. */
export function fakeGpus(count: number, name = 'NVIDIA H100 80GB HBM3'): string {
  const file = join(tempDir('brier-gpus-'), 'gpus.json');
  const gpus = Array.from({ length: count }, (_, index) => ({
    index,
    uuid: `GPU-00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
    name,
    memoryTotalMiB: 81559,
    memoryUsedMiB: 1,
  }));
  writeFileSync(
    file,
    JSON.stringify({ driverVersion: '550.54.15', cudaVersion: '12.4', gpus, processes: [] }),
  );
  return file;
}

/**
 * Kills every agent still running (SIGKILL) and waits for it, then kills the run process groups
 * its ledger names (the agent's own leftover killing, as its next incarnation would do it), and
 * only then removes the temporary directories: a killed agent's prime-rl lives on in its own
 * process group and would otherwise still be writing into them. rm keeps a few retries for the
 * one group no ledger names: one spawned in the milliseconds before its entry was written.
 */
export async function cleanupAgents(): Promise<void> {
  await Promise.all(children.splice(0).map((child) => killAndWait(child)));
  const created = dirs.splice(0);
  for (const dir of created) {
    if (existsSync(processLedgerDir(dir)))
      await new ProcessLedger(processLedgerDir(dir)).killLeftovers(LEFTOVER_DEADLINE_MS);
  }
  for (const dir of created) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

const LEFTOVER_DEADLINE_MS = 5_000;

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * The run's process group as the agent's ledger records it now; undefined while there is no entry
 * or it is still pending (written just before the spawn).
 */
export function recordedGroup(workDir: string, runId: string): { pgid: number; pid: number } | undefined {
  let entry: { pgid: number | null; pid: number | null };
  try {
    entry = JSON.parse(
      readFileSync(join(processLedgerDir(workDir), `${runId}.json`), 'utf8'),
    ) as typeof entry;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return entry.pgid !== null && entry.pid !== null ? { pgid: entry.pgid, pid: entry.pid } : undefined;
}

/** Running, not a zombie (this machine's PID 1 may never reap the orphans it inherits). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
