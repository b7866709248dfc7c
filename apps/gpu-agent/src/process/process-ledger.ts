import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import {
  isGroupAlive,
  liveGroupMembers,
  processesWithEnv,
  readProcessStat,
  signalGroup,
  waitForGroupGone,
} from './group-liveness.js';

/** The variable that carries an entry's marker into the environment of every process of its run. */
export const PROCESS_MARKER_ENV = 'BRIER_PROCESS_MARKER';

/**
 * A process group this agent started, on disk so that the next incarnation can find it. Written
 * twice: pending (pgid and pid null) just before the spawn, complete just after it.
 */
export interface LedgerEntry {
  runId: string;
  pgid: number | null;
  pid: number | null;
  /**
   * A random id in the environment of the run's processes (PROCESS_MARKER_ENV), which their
   * descendants inherit: it finds a group spawned just before a kill -9 left its entry pending, and
   * descendants that left the group (setsid). Absent in entries written before it existed.
   */
  marker?: string;
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
  /** The recorded group (null: the entry was still pending). */
  pgid: number | null;
  /** Every group killed for the run: the recorded one and those its marker found. */
  killedGroups: number[];
  /** Whether a live process of ours was found (and killed). */
  found: boolean;
}

/** Some leftover groups outlived SIGKILL: the agent must not take work (it cannot free their GPUs). */
export class LeftoversSurvivedError extends Error {
  constructor(readonly survivors: LedgerEntry[]) {
    super(
      `leftover process group(s) still running after SIGKILL: ` +
        survivors.map((entry) => `run ${entry.runId} (pgid ${entry.pgid ?? 'never recorded'})`).join(', '),
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

  /**
   * Writes the entry atomically (temporary file, rename): a kill -9 of the agent leaves the old or
   * the new. Not fsynced: the file only has to outlive the agent, not the machine, whose crash takes
   * the run's processes with it; and it is written on the path from a job to its process.
   */
  async record(entry: LedgerEntry): Promise<void> {
    const path = this.pathOf(entry.runId);
    await mkdir(this.stateDir, { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, `${JSON.stringify(entry)}\n`);
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
   * SIGKILLs every recorded group that is still ours and running, and every group holding a
   * process with an entry's marker; waits (one shared deadline) until they are gone, and removes
   * their entries (and those of runs with nothing left). Throws LeftoversSurvivedError, keeping
   * their entries, if some outlive the deadline.
   */
  async killLeftovers(deadlineMs: number): Promise<LeftoverKill[]> {
    const deadline = Date.now() + deadlineMs;
    const ownGroup = (await readProcessStat(process.pid))?.pgrp ?? null;
    const entries = await this.list();
    const results: LeftoverKill[] = [];
    for (const entry of entries) {
      const groups = new Set<number>();
      const { pgid, pid } = entry;
      if (pgid !== null && pid !== null && (await isOurLiveGroup(entry, pgid, pid))) groups.add(pgid);
      if (entry.marker !== undefined) {
        for (const marked of await processesWithEnv(PROCESS_MARKER_ENV, entry.marker)) {
          if (marked.pgrp > 1 && marked.pgrp !== ownGroup) groups.add(marked.pgrp);
        }
      }
      const killedGroups = [...groups].filter((group) => signalGroup(group, 'SIGKILL'));
      results.push({ runId: entry.runId, pgid: entry.pgid, killedGroups, found: killedGroups.length > 0 });
    }
    const survivors: LedgerEntry[] = [];
    for (const [index, result] of results.entries()) {
      for (const group of result.killedGroups) {
        if (!(await waitForGroupGone(group, Math.max(0, deadline - Date.now())))) {
          survivors.push(entries[index]!);
          break;
        }
      }
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

/** Whether the entry's recorded group (`pgid`, led by `pid`) still runs and is still the one recorded. */
async function isOurLiveGroup(entry: LedgerEntry, pgid: number, pid: number): Promise<boolean> {
  if (!(await isGroupAlive(pgid))) return false;
  if (entry.startTicks === undefined || entry.startTicks === null) return true;
  if ((await liveGroupMembers(pgid)) === null) return true; // no /proc to check with
  const leader = await readProcessStat(pid);
  if (leader === null || leader.state === 'Z') return true; // leader gone: only original members remain
  return leader.startTicks === entry.startTicks && leader.pgrp === pgid;
}

function parseEntry(text: string): LedgerEntry {
  const value = JSON.parse(text) as Partial<LedgerEntry> | null;
  const positive = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n > 1;
  if (typeof value !== 'object' || value === null) throw new Error('not a ledger entry (not an object)');
  const pending = value.pgid === null && value.pid === null;
  if (
    typeof value.runId !== 'string' ||
    !(pending || (positive(value.pgid) && positive(value.pid))) ||
    !(value.marker === undefined || (typeof value.marker === 'string' && value.marker.length > 0)) ||
    (pending && value.marker === undefined) ||
    typeof value.incarnation !== 'string' ||
    typeof value.startedAt !== 'string' ||
    typeof value.command !== 'string' ||
    !(value.startTicks === undefined || value.startTicks === null || Number.isSafeInteger(value.startTicks))
  ) {
    throw new Error('not a ledger entry (missing or mistyped fields)');
  }
  return value as LedgerEntry;
}
