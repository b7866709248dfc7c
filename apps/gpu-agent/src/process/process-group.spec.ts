import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { liveGroupMembers, signalGroup } from './group-liveness.js';
import { ProcessGroup, type LaunchOptions } from './process-group.js';

const dirs: string[] = [];
const groups: ProcessGroup[] = [];
afterEach(async () => {
  for (const group of groups.splice(0)) {
    try {
      signalGroup(group.pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-process-group-'));
  dirs.push(dir);
  return dir;
}

/** A `sh -c script` group (the script is this test's own text, never user input). */
async function launchScript(
  script: string,
  changes: Partial<LaunchOptions> = {},
): Promise<{ group: ProcessGroup; dir: string; lines: string[] }> {
  const dir = await workDir();
  const lines: string[] = [];
  const group = await ProcessGroup.launch({
    command: 'sh',
    args: ['-c', script],
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    stdoutPath: join(dir, 'logs', 'stdout.log'),
    stderrPath: join(dir, 'logs', 'stderr.log'),
    onLine: (stream, line) => lines.push(`${stream}: ${line}`),
    ...changes,
  });
  groups.push(group);
  return { group, dir, lines };
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

describe('ProcessGroup.launch', () => {
  it('rejects with a clear error when the command or its directory does not exist', async () => {
    const dir = await workDir();
    const options = {
      args: [],
      env: { PATH: '/usr/bin:/bin' },
      stdoutPath: join(dir, 'out.log'),
      stderrPath: join(dir, 'err.log'),
    };
    await expect(
      ProcessGroup.launch({ ...options, command: 'brier-no-such-binary', cwd: dir }),
    ).rejects.toThrow(/cannot start brier-no-such-binary \(ENOENT\)/);
    await expect(
      ProcessGroup.launch({ ...options, command: 'sh', cwd: join(dir, 'missing') }),
    ).rejects.toThrow(/working directory .*missing does not exist/);
  });

  it('runs in its own group with exactly the given environment, teeing output to files and lines', async () => {
    const dir = await workDir();
    await mkdir(join(dir, 'logs'));
    await writeFile(join(dir, 'logs', 'stdout.log'), 'earlier attempt\n');
    const script = [
      'echo "pgid $(ps -o pgid= -p $$ | tr -d " ")"',
      'echo "home=${HOME-unset} extra=$BRIER_EXTRA"',
      'printf "caf\\303"; sleep 0.05; printf "\\251 ok\\n"', // é split across two writes
      'echo oops >&2',
      'printf "no newline at the end"',
      'exit 4',
    ].join('\n');
    const { group, lines } = await launchScript(script, {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', BRIER_EXTRA: 'yes' },
      stdoutPath: join(dir, 'logs', 'stdout.log'),
      stderrPath: join(dir, 'logs', 'stderr.log'),
    });
    expect(group.pgid).toBe(group.pid);
    const exit = await group.exited;
    expect(exit).toEqual({ exitCode: 4, signal: null, stoppedFor: null });
    expect(lines.filter((l) => l.startsWith('stdout'))).toEqual([
      `stdout: pgid ${group.pid}`,
      'stdout: home=unset extra=yes',
      'stdout: café ok',
      'stdout: no newline at the end',
    ]);
    expect(lines).toContain('stderr: oops');
    expect(await readFile(join(dir, 'logs', 'stdout.log'), 'utf8')).toBe(
      `earlier attempt\npgid ${group.pid}\nhome=unset extra=yes\ncafé ok\nno newline at the end`,
    );
    expect(await readFile(join(dir, 'logs', 'stderr.log'), 'utf8')).toBe('oops\n');
    expect(group.stderrTail()).toBe('oops\n');
    expect(group.outputProblems()).toEqual([]);
  });
});

describe('ProcessGroup exit and stop', () => {
  it('reports the exit even while a grandchild keeps its pipes open; stop() then clears the group', async () => {
    // A background job of a non-interactive sh ignores SIGINT, and holds the pipes.
    const { group, lines } = await launchScript('sleep 30 & echo "child $!"; exit 3');
    const began = Date.now();
    const exit = await group.exited;
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(exit).toEqual({ exitCode: 3, signal: null, stoppedFor: null });
    const sleeper = Number(/^stdout: child (\d+)$/.exec(lines[0] ?? '')?.[1]);
    expect(await liveGroupMembers(group.pgid)).toEqual([sleeper]);

    const stopped = await group.stop('shutdown', 200);
    // The leader had exited on its own: the stop did not cause that exit.
    expect(stopped).toEqual(exit);
    expect(await liveGroupMembers(group.pgid)).toEqual([]);
  });

  it('stop() sends SIGINT first and returns once the group is gone; later calls share it', async () => {
    const { group } = await launchScript(
      'trap "echo interrupted; exit 5" INT; echo ready; while :; do sleep 0.05; done',
    );
    await waitFor(
      async () => (await readFile(join(dirs.at(-1)!, 'logs', 'stdout.log'), 'utf8')) !== '',
      'ready',
    );
    const first = group.stop('cancel', 5_000);
    expect(group.stop('shutdown', 0)).toBe(first);
    const began = Date.now();
    const exit = await first;
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(exit).toEqual({ exitCode: 5, signal: null, stoppedFor: 'cancel' });
    expect(await liveGroupMembers(group.pgid)).toEqual([]);
  });

  it('SIGKILLs the group after the grace period when SIGINT is ignored, grandchildren included', async () => {
    const { group, lines } = await launchScript('trap "" INT; sleep 30 & echo "child $!"; wait');
    await waitFor(() => lines.length > 0, 'the child started');
    const began = Date.now();
    const exit = await group.stop('timeout', 300);
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    expect(exit).toEqual({ exitCode: null, signal: 'SIGKILL', stoppedFor: 'timeout' });
    expect(await liveGroupMembers(group.pgid)).toEqual([]);
  });

  it('kill() cuts a stop short in its grace period, keeping the first reason', async () => {
    const { group, lines } = await launchScript('trap "" INT; echo ready; while :; do sleep 0.05; done');
    await waitFor(() => lines.length > 0, 'ready');
    const stopping = group.stop('cancel', 20_000);
    await sleep(100);
    const began = Date.now();
    const killed = await group.kill('revoked');
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(await stopping).toBe(killed);
    expect(killed).toEqual({ exitCode: null, signal: 'SIGKILL', stoppedFor: 'cancel' });
  });

  it('reports a silent, instant exit without waiting out the drain time', async () => {
    const { group, lines } = await launchScript('exit 0', { drainMs: 5_000 });
    const began = Date.now();
    expect(await group.exited).toEqual({ exitCode: 0, signal: null, stoppedFor: null });
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(lines).toEqual([]);
    expect(group.startTicks === null || Number.isSafeInteger(group.startTicks)).toBe(true);
  });

  it('keeps a bounded stderr tail that starts on a whole character', async () => {
    const { group } = await launchScript(
      'i=0; while [ $i -lt 3000 ]; do echo "é line $i" >&2; i=$((i+1)); done',
    );
    await group.exited;
    const tail = group.stderrTail(1000);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(1000);
    expect(tail).not.toContain('\uFFFD');
    expect(tail.endsWith('é line 2999\n')).toBe(true);
    expect(group.stderrTail().length).toBeGreaterThan(7_000);
  });
});
