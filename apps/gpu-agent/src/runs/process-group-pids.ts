import { readdir, readFile } from 'node:fs/promises';

/**
 * PIDs of every live process in these process groups, from /proc (Linux). nvidia-smi lists GPU
 * processes by PID; a run's GPU work happens in its grandchildren (vLLM, torchrun ranks), so the
 * agent recognises its own by process group. Elsewhere (no /proc) it knows none, which only makes
 * placement more careful: those GPUs look busy.
 */
export async function pidsInProcessGroups(groups: Iterable<number>): Promise<number[]> {
  const wanted = new Set(groups);
  if (wanted.size === 0) return [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const pgrp = await processGroupOf(entry);
        if (pgrp !== null && wanted.has(pgrp)) pids.push(Number(entry));
      }),
  );
  return pids.sort((a, b) => a - b);
}

async function processGroupOf(pid: string): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    return Number.isInteger(pgrp) ? pgrp : null;
  } catch {
    return null; // the process exited while we looked
  }
}
