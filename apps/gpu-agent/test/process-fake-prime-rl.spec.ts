import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

import { parseRunRequest, type TrainSpecDto } from '@brier/contracts';
import { OrchestratorLogParser } from '@brier/results';
import { parse, stringify } from 'smol-toml';
import { afterEach, describe, expect, it } from 'vitest';

import { CheckpointWatcher, type CheckpointState } from '../src/checkpoints/checkpoint-watcher.js';
import { LineFollower } from '../src/files/line-follower.js';
import { freeLocalPort } from '../src/net/free-port.js';
import { exitVerdict } from '../src/process/exit-verdict.js';
import { liveGroupMembers, readProcessStat, signalGroup } from '../src/process/group-liveness.js';
import { ProcessGroup } from '../src/process/process-group.js';
import { ClassicV040Adapter } from '../src/prime-rl/classic-v0-4.adapter.js';
import type { PrimeRlLaunch } from '../src/prime-rl/prime-rl-adapter.js';

// The process and file layer driven against the fake prime-rl exactly as the agent drives the
// real one: the classic adapter's config, `uv <args>` through ProcessGroup, its files followed.
const uv = fileURLToPath(new URL('./fixtures/fake-prime-rl/uv', import.meta.url));
const adapter = new ClassicV040Adapter();
const DEADLINE_MS = 15_000;

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

function smokeSpec(changes: Partial<TrainSpecDto> = {}): TrainSpecDto {
  const result = parseRunRequest({ preset: 'smoke-tiny' });
  if (!result.ok || result.value.kind !== 'train') throw new Error('smoke-tiny is not a valid train run');
  return { ...result.value.spec, ...changes };
}

async function prepare(
  spec: TrainSpecDto,
  editConfig?: (config: Record<string, unknown>) => void,
): Promise<{ dir: string; launch: PrimeRlLaunch }> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-process-fake-'));
  dirs.push(dir);
  const launch = adapter.buildConfig({
    spec,
    runDir: dir,
    gpuIds: [0],
    ports: { inference: await freeLocalPort() },
    envLogPath: join(dir, 'attempt-1.jsonl'),
    startStep: 0,
  });
  let toml = launch.toml;
  if (editConfig) {
    const config = parse(toml) as Record<string, unknown>;
    editConfig(config);
    toml = stringify(config);
  }
  await writeFile(launch.configPath, toml);
  return { dir, launch };
}

async function start(
  { dir, launch }: { dir: string; launch: PrimeRlLaunch },
  knobs: Record<string, string> = {},
  args = launch.args,
): Promise<{ group: ProcessGroup; lines: string[] }> {
  const lines: string[] = [];
  const group = await ProcessGroup.launch({
    command: uv,
    args,
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...launch.env, ...knobs },
    stdoutPath: join(dir, 'agent', 'stdout.log'),
    stderrPath: join(dir, 'agent', 'stderr.log'),
    onLine: (stream, line) => lines.push(`${stream}: ${line}`),
  });
  groups.push(group);
  return { group, lines };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = DEADLINE_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

/** Running, as opposed to gone or a zombie awaiting a reaper (this sandbox's PID 1 reaps none). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readProcessStat(pid);
  return stat !== null && stat.state !== 'Z';
}

describe('ProcessGroup × fake prime-rl: a run', () => {
  it('follows the orchestrator log and the checkpoints live, and ends succeeded', async () => {
    const prepared = await prepare(smokeSpec({ maxSteps: 3 }));
    const { layout } = prepared.launch;
    const parser = new OrchestratorLogParser();
    const stepSeenAt: number[] = [];
    const follower = new LineFollower(layout.orchestratorLog, { pollMs: 20 });
    const following = (async () => {
      for await (const line of follower.lines()) {
        if (parser.push(line)?.type === 'step') stepSeenAt.push(Date.now());
      }
    })();
    const checkpoints: CheckpointState[] = [];
    const watcher = new CheckpointWatcher({
      layout,
      runDir: prepared.dir,
      intervalMs: 20,
      onChange: (state) => {
        checkpoints.push(state);
        return Promise.resolve();
      },
    });
    watcher.start();

    // The real launcher's console: the step lines are only in logs/orchestrator.stdout.
    const { group, lines } = await start(prepared, {
      FAKE_PRIME_RL_STDOUT: 'launcher',
      FAKE_PRIME_RL_STEP_SECONDS: '0.2',
    });
    const exit = await group.exited;
    const exitedAt = Date.now();
    await Promise.all([follower.finish(5_000), watcher.stop()]);
    await following;
    await watcher.scanNow();

    expect(exitVerdict(exit, group.stderrTail())).toEqual({ outcome: 'succeeded' });
    expect(lines.at(-1)).toMatch(/^stdout: \d\d:\d\d:\d\d SUCCESS RL training finished!$/);
    expect(parser.summary().steps.map((s) => s.step)).toEqual([0, 1, 2]);
    expect(stepSeenAt[0]).toBeLessThan(exitedAt); // followed while it ran, not read afterwards
    const complete = checkpoints.filter((c) => c.complete).map((c) => `${c.kind}:${c.path}`);
    expect(complete.sort()).toEqual(
      [1, 2, 3].flatMap((n) => [`trainer:rl/checkpoints/step_${n}`, `weights:rl/weights/step_${n}`]).sort(),
    );
    expect(await liveGroupMembers(group.pgid)).toEqual([]);
  });

  it('reports the exit while a grandchild holds its stdout, then stop() clears the group', async () => {
    const prepared = await prepare(smokeSpec({ maxSteps: 1 }));
    const { group } = await start(prepared, { FAKE_PRIME_RL_FORK_GRANDCHILD: 'inherit' });
    const exit = await group.exited;
    expect(exit).toEqual({ exitCode: 0, signal: null, stoppedFor: null });
    const grandchild = Number(
      readFileSync(join(prepared.launch.layout.outputDir, 'logs', 'fake-grandchild.pid'), 'utf8'),
    );
    expect(await isRunning(grandchild)).toBe(true);
    await group.stop('shutdown', 100);
    expect(await isRunning(grandchild)).toBe(false);
  });
});

describe('ProcessGroup × fake prime-rl: stopping and failing', () => {
  const paced = { FAKE_PRIME_RL_STEP_SECONDS: '0.4' };

  it('cancel: SIGINT makes rl exit 1, which is a cancellation', async () => {
    const prepared = await prepare(smokeSpec());
    const { group, lines } = await start(prepared, paced);
    await waitFor(() => existsSync(join(prepared.dir, 'attempt-1.jsonl')), 'first rollouts');
    const exit = await group.stop('cancel', 5_000);
    expect(exit).toEqual({ exitCode: 1, signal: null, stoppedFor: 'cancel' });
    expect(lines.some((l) => l.endsWith('Received interrupt signal, terminating all processes...'))).toBe(
      true,
    );
    expect(exitVerdict(exit, group.stderrTail())).toEqual({ outcome: 'cancelled' });
  });

  it('leaves nothing of the group when rl and a grandchild ignore SIGINT', async () => {
    const prepared = await prepare(smokeSpec());
    const { group } = await start(prepared, {
      ...paced,
      FAKE_PRIME_RL_FORK_GRANDCHILD: '1',
      FAKE_PRIME_RL_IGNORE_SIGINT: '1',
    });
    const pidFile = join(prepared.launch.layout.outputDir, 'logs', 'fake-grandchild.pid');
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
      'grandchild forked',
    );
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(await isRunning(grandchild)).toBe(true);

    const exit = await group.stop('cancel', 300);
    expect(exit).toEqual({ exitCode: null, signal: 'SIGKILL', stoppedFor: 'cancel' });
    expect(await liveGroupMembers(group.pgid)).toEqual([]);
    expect(await isRunning(grandchild)).toBe(false);
    expect(exitVerdict(exit, group.stderrTail())).toEqual({ outcome: 'cancelled' });
  });

  it('a crash mid-run is a retryable failure', async () => {
    const { group } = await start(await prepare(smokeSpec({ maxSteps: 3 })), {
      FAKE_PRIME_RL_CRASH_AT_STEP: '1',
    });
    const exit = await group.exited;
    expect(exit).toEqual({ exitCode: 1, signal: null, stoppedFor: null });
    expect(exitVerdict(exit, group.stderrTail())).toMatchObject({ outcome: 'failed', retryable: true });
  });

  it('a bad config key or an unknown flag is never retried', async () => {
    const badKey = await prepare(smokeSpec(), (config) => {
      (config['orchestrator'] as Record<string, unknown>)['group_size'] = 8;
    });
    const { group } = await start(badKey);
    const exit = await group.exited;
    expect(exit.exitCode).toBe(1);
    expect(exitVerdict(exit, group.stderrTail())).toMatchObject({
      outcome: 'failed',
      retryable: false,
      reason: expect.stringMatching(/config failed validation/) as unknown,
    });

    const flag = await prepare(smokeSpec());
    const unknown = await start(flag, {}, [...flag.launch.args, '--deployment.num-infer-gpus', '1']);
    const flagExit = await unknown.group.exited;
    expect(flagExit.exitCode).toBe(2);
    expect(exitVerdict(flagExit, unknown.group.stderrTail())).toMatchObject({
      outcome: 'failed',
      retryable: false,
    });
  });
});
