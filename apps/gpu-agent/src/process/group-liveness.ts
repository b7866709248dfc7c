import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** What /proc/<pid>/stat says about a process (Linux). */
export interface ProcessStat {
  pid: number;
  /** R, S, D, Z (zombie: exited, awaiting its reaper), T, X… */
  state: string;
  pgrp: number;
  /** Start time in clock ticks after boot: with the pid, it names one process for good. */
  startTicks: number;
}

const POLL_MS = 50;

/** The process's /proc stat; null when it does not exist (or there is no /proc). */
export async function readProcessStat(pid: number): Promise<ProcessStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone, or no procfs
  }
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  // cutime cstime priority nice num_threads itrealvalue starttime …": comm may hold spaces and
  // parentheses, so count fields after the last ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0] ?? '';
  const pgrp = Number(fields[2]);
  const startTicks = Number(fields[19]);
  if (state === '' || !Number.isSafeInteger(pgrp) || !Number.isSafeInteger(startTicks)) return null;
  return { pid, state, pgrp, startTicks };
}

/**
 * Processes of the group that are still running; null where there is no /proc to ask. Zombies do
 * not count: they hold no memory, GPU or files and only await a reaper (PID 1 of some containers
 * never reaps them, so waiting for them to vanish would never end).
 */
export async function liveGroupMembers(pgid: number): Promise<number[] | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const members: number[] = [];
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const stat = await readProcessStat(Number(entry));
        if (stat && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(stat.pid);
      }),
  );
  return members.sort((a, b) => a - b);
}

/**
 * Running processes whose environment holds exactly `name=value` (Linux: /proc/<pid>/environ, which
 * only our own user's processes let us read). Empty where there is no /proc.
 */
export async function processesWithEnv(name: string, value: string): Promise<ProcessStat[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const wanted = `${name}=${value}`;
  const found: ProcessStat[] = [];
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        let environ: string;
        try {
          environ = await readFile(`/proc/${entry}/environ`, 'utf8');
        } catch {
          return; // gone, or not ours to read
        }
        if (!environ.split('\0').includes(wanted)) return;
        const stat = await readProcessStat(Number(entry));
        if (stat && stat.state !== 'Z' && stat.state !== 'X') found.push(stat);
      }),
  );
  return found.sort((a, b) => a.pid - b.pid);
}

/** kill(-1) would signal every process we may signal, kill(-0) our own group: never. */
function assertGroupId(pgid: number): void {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new RangeError(`not a process group id: ${pgid}`);
}

/** Whether any process of the group still runs: kill(-pgid, 0) first, /proc to look past zombies. */
export async function isGroupAlive(pgid: number): Promise<boolean> {
  assertGroupId(pgid);
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true; // exists, though not ours to signal
    throw error;
  }
  const members = await liveGroupMembers(pgid);
  return members === null ? true : members.length > 0;
}

/** Sends `signal` to every process of the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  assertGroupId(pgid);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls until no process of the group runs; false if some still do at the deadline. */
export async function waitForGroupGone(
  pgid: number,
  deadlineMs: number,
  until?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (!(await isGroupAlive(pgid))) return true;
    const left = deadline - Date.now();
    if (left <= 0 || until?.aborted) return false;
    const slept = await sleep(Math.min(POLL_MS, left), true, { signal: until }).catch(() => false);
    if (!slept) return false;
  }
}
