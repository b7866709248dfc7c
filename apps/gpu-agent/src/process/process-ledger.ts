import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import {
  isGroupAlive,
  liveGroupMembers,
  readProcessStat,
  signalGroup,
  waitForGroupGone,
} from './group-liveness.js';

/** A process group this agent started, on disk so that the next incarnation can find it. */
export interface LedgerEntry {
  runId: string;
  pgid: number;
  pid: number;
  /** Which start of the agent launched it. */
  incarnation: string;
  startedAt: string;
  /** For people reading the file; never holds secrets (they travel in the environment). */
  command: string;
  /** The leader's start time in clock ticks after boot (ProcessGroup.startTicks), against PID reuse. */
  startTicks?: number | null;
}

/** A ledger file that could not be read as an entry; it is left where it is for a person to look at. */
export interface CorruptLedgerFile {
  path: string;
  error: Error;
}

export interface LeftoverKill {
  runId: string;
  pgid: number;
  /** Whether a live group of ours was found (and killed). */
  found: boolean;
}

/** Some leftover groups outlived SIGKILL: the agent must not take work (it cannot free their GPUs). */
export class LeftoversSurvivedError extends Error {
  constructor(readonly survivors: LedgerEntry[]) {
    super(
      `leftover process group(s) still running after SIGKILL: ` +
        survivors.map((entry) => `run ${entry.runId} (pgid ${entry.pgid})`).join(', '),
    );
    this.name = 'LeftoversSurvivedError';
  }
}

const SUFFIX = '.json';

/** Where an agent keeps its ledger: under its work directory, so that it outlives the process. */
export function processLedgerDir(workDir: string): string {
  return join(resolve(workDir), 'state', 'process-groups');
}
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * The process groups this agent started, one JSON file per run (`<stateDir>/<runId>.json`).
 * A new incarnation (after a crash or kill -9, when its detached children live on) calls
 * killLeftovers() before it takes work, so no orphaned prime-rl keeps a GPU.
 *
 * PID reuse: a group is killed only if it still has a running member and, where /proc exists and
 * the start time was recorded, its leader is the very process recorded (same start time), or the
 * leader is gone. The second case is safe because Linux never hands out a PID that is still in
 * use as a process group id, so a group whose leader died can only hold the original members.
 * Without /proc (not Linux) a live group with the recorded id is trusted to be ours.
 */
export class ProcessLedger {
  constructor(
    private readonly stateDir: string,
    private readonly onCorrupt: (file: CorruptLedgerFile) => void = () => undefined,
  ) {}

  /** Writes the entry atomically (temporary file, fsync, rename): a crash leaves the old or the new. */
  async record(entry: LedgerEntry): Promise<void> {
    const path = this.pathOf(entry.runId);
    await mkdir(this.stateDir, { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(entry)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async remove(runId: string): Promise<void> {
    await rm(this.pathOf(runId), { force: true });
  }

  /** Every readable entry; a corrupt file is reported through onCorrupt and skipped. */
  async list(): Promise<LedgerEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.stateDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: LedgerEntry[] = [];
    for (const name of names.filter((n) => n.endsWith(SUFFIX)).sort()) {
      const path = join(this.stateDir, name);
      try {
        entries.push(parseEntry(await readFile(path, 'utf8')));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        this.onCorrupt({ path, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return entries;
  }

  /**
   * SIGKILLs every recorded group that is still ours and running, waits (one shared deadline)
   * until they are gone, and removes their entries (and those of groups already gone). Throws
   * LeftoversSurvivedError, keeping their entries, if some outlive the deadline.
   */
  async killLeftovers(deadlineMs: number): Promise<LeftoverKill[]> {
    const deadline = Date.now() + deadlineMs;
    const results: LeftoverKill[] = [];
    const killed: LedgerEntry[] = [];
    for (const entry of await this.list()) {
      const found = await isOurLiveGroup(entry);
      if (found && signalGroup(entry.pgid, 'SIGKILL')) killed.push(entry);
      results.push({ runId: entry.runId, pgid: entry.pgid, found });
    }
    const survivors: LedgerEntry[] = [];
    for (const entry of killed) {
      if (!(await waitForGroupGone(entry.pgid, Math.max(0, deadline - Date.now())))) survivors.push(entry);
    }
    for (const { runId } of results) {
      if (!survivors.some((entry) => entry.runId === runId)) await this.remove(runId);
    }
    if (survivors.length > 0) throw new LeftoversSurvivedError(survivors);
    return results;
  }

  private pathOf(runId: string): string {
    if (!RUN_ID.test(runId))
      throw new Error(`not a usable run id for a ledger file: ${JSON.stringify(runId)}`);
    return join(this.stateDir, `${runId}${SUFFIX}`);
  }
}

async function isOurLiveGroup(entry: LedgerEntry): Promise<boolean> {
  if (!(await isGroupAlive(entry.pgid))) return false;
  if (entry.startTicks === undefined || entry.startTicks === null) return true;
  if ((await liveGroupMembers(entry.pgid)) === null) return true; // no /proc to check with
  const leader = await readProcessStat(entry.pid);
  if (leader === null || leader.state === 'Z') return true; // leader gone: only original members remain
  return leader.startTicks === entry.startTicks && leader.pgrp === entry.pgid;
}

function parseEntry(text: string): LedgerEntry {
  const value = JSON.parse(text) as Partial<LedgerEntry> | null;
  const positive = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n > 1;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.runId !== 'string' ||
    !positive(value.pgid) ||
    !positive(value.pid) ||
    typeof value.incarnation !== 'string' ||
    typeof value.startedAt !== 'string' ||
    typeof value.command !== 'string' ||
    !(value.startTicks === undefined || value.startTicks === null || Number.isSafeInteger(value.startTicks))
  ) {
    throw new Error('not a ledger entry (missing or mistyped fields)');
  }
  return value as LedgerEntry;
}
