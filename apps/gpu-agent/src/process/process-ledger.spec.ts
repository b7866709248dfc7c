import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

import { isGroupAlive, readProcessStat, signalGroup, waitForGroupGone } from './group-liveness.js';
import {
  PROCESS_MARKER_ENV,
  ProcessLedger,
  type CorruptLedgerFile,
  type LedgerEntry,
} from './process-ledger.js';

const dirs: string[] = [];
const orphans: number[] = [];
afterEach(async () => {
  for (const pgid of orphans.splice(0)) {
    try {
      signalGroup(pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-ledger-'));
  dirs.push(dir);
  return dir;
}

/**
 * A `sleep` in its own process group whose parent has exited, as a previous agent incarnation
 * leaves its prime-rl behind after a kill -9: not a child of this process. `env` joins the
 * environment it inherits (a ledger marker, say).
 */
async function orphanedGroup(env: Record<string, string> = {}): Promise<number> {
  const script = [
    'import subprocess',
    'quiet = dict(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)',
    "print(subprocess.Popen(['sleep', '30'], start_new_session=True, **quiet).pid)",
  ].join('\n');
  const { stdout } = await execa('python3', ['-c', script], { timeout: 10_000, env });
  const pid = Number(stdout.trim());
  orphans.push(pid);
  return pid;
}

function entry(runId: string, pid: number, startTicks: number | null): LedgerEntry {
  return {
    runId,
    pgid: pid,
    pid,
    incarnation: 'previous',
    startedAt: new Date().toISOString(),
    command: 'uv',
    startTicks,
  };
}

describe('ProcessLedger', () => {
  it('records one file per run atomically, lists and removes them', async () => {
    const dir = await stateDir();
    const ledger = new ProcessLedger(dir);
    expect(await ledger.list()).toEqual([]);
    const a = entry('run-a', 1234, 99);
    await ledger.record(a);
    await ledger.record({ ...a, pid: 1235, pgid: 1235 }); // a rewrite replaces it
    const b = entry('run-b', 2345, null);
    await ledger.record(b);
    expect(await readdir(dir)).toEqual(['run-a.json', 'run-b.json']); // no temporary files left
    expect(await ledger.list()).toEqual([{ ...a, pid: 1235, pgid: 1235 }, b]);
    await ledger.remove('run-a');
    await ledger.remove('run-a'); // idempotent
    expect((await ledger.list()).map((e) => e.runId)).toEqual(['run-b']);
    await expect(ledger.record(entry('../escape', 1, null))).rejects.toThrow(/not a usable run id/);
  });

  it('kills the groups a previous incarnation left, skipping corrupt files, gone groups and reused pids', async () => {
    const dir = await stateDir();
    const corrupt: CorruptLedgerFile[] = [];
    const ledger = new ProcessLedger(dir, (file) => corrupt.push(file));

    const leftover = await orphanedGroup();
    const leftoverTicks = (await readProcessStat(leftover))?.startTicks ?? null;
    expect(leftoverTicks).not.toBeNull();
    await ledger.record(entry('run-leftover', leftover, leftoverTicks));

    // The pid now names another process than the one recorded (a different start time): not ours.
    const stranger = await orphanedGroup();
    await ledger.record(entry('run-reused', stranger, (await readProcessStat(stranger))!.startTicks + 1));

    // A group that ended long ago.
    const gone = await orphanedGroup();
    signalGroup(gone, 'SIGKILL');
    expect(await waitForGroupGone(gone, 2_000)).toBe(true);
    await ledger.record(entry('run-gone', gone, null));

    await writeFile(join(dir, 'run-torn.json'), '{"runId": "run-torn", "pgid": ');
    await writeFile(join(dir, 'run-wrong.json'), JSON.stringify({ runId: 'run-wrong', pgid: 1, pid: 1 }));

    const results = await ledger.killLeftovers(5_000);
    expect(results).toEqual([
      { runId: 'run-gone', pgid: gone, killedGroups: [], found: false },
      { runId: 'run-leftover', pgid: leftover, killedGroups: [leftover], found: true },
      { runId: 'run-reused', pgid: stranger, killedGroups: [], found: false },
    ]);
    expect(await isGroupAlive(leftover)).toBe(false);
    expect(await isGroupAlive(stranger)).toBe(true);
    expect(corrupt.map((file) => file.path)).toEqual([
      join(dir, 'run-torn.json'),
      join(dir, 'run-wrong.json'),
    ]);
    expect(corrupt[1]?.error.message).toMatch(/not a ledger entry/);
    // Handled entries are gone; the corrupt files stay for a person to look at.
    expect(await readdir(dir)).toEqual(['run-torn.json', 'run-wrong.json']);
  });

  it('finds by its marker a group whose entry a kill -9 left pending, and descendants that left the group', async () => {
    const dir = await stateDir();
    const ledger = new ProcessLedger(dir);
    const pendingMarker = randomUUID();
    // Spawned, then the agent died before the entry got its pgid.
    const unrecorded = await orphanedGroup({ [PROCESS_MARKER_ENV]: pendingMarker });
    await ledger.record({ ...entry('run-pending', 0, null), pgid: null, pid: null, marker: pendingMarker });
    // Recorded, and one of its descendants started a session of its own.
    const marker = randomUUID();
    const recorded = await orphanedGroup({ [PROCESS_MARKER_ENV]: marker });
    const escaped = await orphanedGroup({ [PROCESS_MARKER_ENV]: marker });
    await ledger.record({ ...entry('run-recorded', recorded, null), marker });
    // Another run's marker, never recorded here: not ours to kill.
    const unrelated = await orphanedGroup({ [PROCESS_MARKER_ENV]: randomUUID() });

    const results = await ledger.killLeftovers(5_000);
    expect(results).toEqual([
      { runId: 'run-pending', pgid: null, killedGroups: [unrecorded], found: true },
      {
        runId: 'run-recorded',
        pgid: recorded,
        killedGroups: [recorded, escaped].sort((a, b) => a - b),
        found: true,
      },
    ]);
    for (const pgid of [unrecorded, recorded, escaped]) expect(await isGroupAlive(pgid)).toBe(false);
    expect(await isGroupAlive(unrelated)).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it('reads a pending entry only with its marker', async () => {
    const dir = await stateDir();
    const corrupt: CorruptLedgerFile[] = [];
    const ledger = new ProcessLedger(dir, (file) => corrupt.push(file));
    const pending = { ...entry('run-pending', 0, null), pgid: null, pid: null, marker: 'm-1' };
    await ledger.record(pending);
    const { marker: _, ...unmarked } = { ...pending, runId: 'run-unmarked' };
    await ledger.record(unmarked);
    expect(await ledger.list()).toEqual([pending]);
    expect(corrupt.map((file) => file.path)).toEqual([join(dir, 'run-unmarked.json')]);
  });
});
