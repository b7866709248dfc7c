import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { parseRunRequest, type TrainSpecDto } from '@brier/contracts';
import { OrchestratorLogParser, type OrchestratorLogSummary } from '@brier/results';
import { execa } from 'execa';

import type { PrimeRlLaunch } from '../../src/prime-rl/prime-rl-adapter.js';
import { FAKE_UV } from './agent-process.js';

/** Driving the fake prime-rl (test/fixtures/fake-prime-rl) the way the agent drives prime-rl. */

export const FAKE_PRIME_RL_DEADLINE_MS = 20_000;

/** One line of the env's rollout log (the keys the tests read). */
export interface GenerationLine {
  full_completion: string;
  ground_truth: string;
  reward: number;
  parseable: boolean;
  length_penalty: number;
  index: number;
  step: number;
  example_id: string;
  pid: number;
}

export function smokeSpec(changes: Partial<TrainSpecDto> = {}): TrainSpecDto {
  const result = parseRunRequest({ preset: 'smoke-tiny' });
  if (!result.ok || result.value.kind !== 'train') throw new Error('smoke-tiny is not a valid train run');
  return { ...result.value.spec, ...changes };
}

/** A fresh directory, removed by the caller's cleanups. */
export function tempRunDir(cleanups: Array<() => void>): string {
  const dir = mkdtempSync(join(tmpdir(), 'brier-fake-prime-rl-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `uv <args>` as the agent runs it: argument array, own process group, no shell. */
export function startFake(
  launch: PrimeRlLaunch,
  knobs: Record<string, string>,
  args: readonly string[],
  cleanups: Array<() => void>,
) {
  const child = execa(FAKE_UV, args, {
    cwd: dirname(launch.configPath),
    env: { ...launch.env, ...knobs },
    detached: true,
    reject: false,
    timeout: FAKE_PRIME_RL_DEADLINE_MS,
    forceKillAfterDelay: 1_000,
  });
  cleanups.push(() => {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  });
  return child;
}

export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is already gone
  }
}

export function parseLog(text: string): OrchestratorLogSummary {
  const parser = new OrchestratorLogParser();
  parser.feed(text);
  parser.flush();
  return parser.summary();
}

export function readGenerations(path: string): GenerationLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as GenerationLine);
}

/** Processes of a group that are still alive (a zombie holds nothing and only awaits its reaper). */
export async function liveMembers(pgid: number): Promise<string[]> {
  const ps = await execa('ps', ['-o', 'pid=,stat=,args=', '-g', String(pgid)], { reject: false });
  return ps.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\d+\s+Z/.test(line));
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = FAKE_PRIME_RL_DEADLINE_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
