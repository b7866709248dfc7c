import { existsSync, readdirSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

import type { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';

import type { TestApi } from '../../apps/api/test/support/test-api.js';
import {
  drainQueue,
  expectSucceededOnce,
  explained,
  faultSuite,
  processesInGroup,
  sql,
  startAgent,
  submitTiny,
  TINY,
  untilStatus,
  waitFor,
  type StartedAgent,
  recordedGroup,
} from './support/fault-harness.js';

// reliability.md §2.11 #16: an attempt ends training but is lost before the API records it (its
// agent dies, or the database stays away past the agent's 10 min of finish retries, so the job
// fails). The retry must not re-run the GPU when the result is already there: every step is
// stored and the final checkpoint, fingerprinted when it was written, is unchanged. It is
// re-committed instead. A checkpoint that changed since is not trusted.

let api: TestApi;
let queue: Queue;
faultSuite((suite) => ({ api, queue } = suite));

/** The run's directory on the agent's host. */
const runDir = (agent: StartedAgent, id: string) => join(agent.workDir, 'runs', id);

/**
 * An agent whose prime-rl ends training (every step, the final checkpoint) and then never exits,
 * killed -9 once the API holds all of it: the attempt that did the work is lost unrecorded.
 */
async function trainThenLoseTheAgent(
  name: string,
): Promise<{ id: string; first: StartedAgent; pgid: number }> {
  const first = startAgent(api, `${name}-first`, { env: { FAKE_PRIME_RL_HANG: String(TINY.steps) } });
  const id = await submitTiny(api, name);
  await explained(
    waitFor(
      async () => {
        const [row] = await sql<{ stored: string; fingerprinted: boolean }>(
          api.db.url,
          `SELECT (SELECT count(*) FROM step_aggregates WHERE run_id = $1 AND n = $2) AS stored,
                  EXISTS (SELECT 1 FROM checkpoints WHERE run_id = $1 AND step = $3 AND kind = 'trainer'
                            AND complete AND fingerprint IS NOT NULL) AS fingerprinted`,
          [id, TINY.batch, TINY.steps],
        );
        return Number(row!.stored) === TINY.steps && row!.fingerprinted;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'every step and the fingerprinted final checkpoint' },
    ),
  );
  const { pgid } = recordedGroup(first.workDir, id)!;
  first.child.kill('SIGKILL');
  await first.exited;
  return { id, first, pgid };
}

async function eventsOf(id: string, type: string): Promise<{ message: string }[]> {
  return sql<{ message: string }>(
    api.db.url,
    `SELECT reason AS message FROM run_events WHERE run_id = $1 AND type = $2 ORDER BY id`,
    [id, type],
  );
}

describe('an attempt lost after training ended', { timeout: 150_000 }, () => {
  it('is re-committed from its unchanged final checkpoint, without running prime-rl again', async () => {
    const { id, first, pgid } = await trainThenLoseTheAgent('recommit');
    // The same host again (same work directory): it kills the hung leftover, then takes the retry.
    startAgent(api, 'recommit-again', { workDir: first.workDir });

    await explained(untilStatus(api, id, 'succeeded', 90_000));
    await drainQueue(queue);
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => [a.status, a.resume_step])).toEqual([
      ['lost', null],
      ['succeeded', TINY.steps],
    ]);
    const [recommitted] = await eventsOf(id, 'recommitted');
    expect(recommitted?.message).toMatch(/final checkpoint \(step 3\) is unchanged/);
    // prime-rl never started for attempt 2: no console file, no rollout log of its own.
    const attempt2 = readdirSync(join(runDir(first, id), 'attempt-2'));
    expect(attempt2).not.toContain('stdout.log');
    expect(attempt2).not.toContain('rollouts.jsonl');
    expect(processesInGroup(pgid)).toEqual([]);
  });

  it('trains again from the checkpoint before when the final one changed since it was written', async () => {
    const { id, first } = await trainThenLoseTheAgent('recommit-refused');
    const shard = join(runDir(first, id), 'rl', 'checkpoints', `step_${TINY.steps}`, 'trainer');
    const [file] = readdirSync(shard).filter((name) => name.endsWith('.distcp'));
    truncateSync(join(shard, file!), 1); // a disk that filled up, a copy cut short
    startAgent(api, 'recommit-refused-again', { workDir: first.workDir });

    await explained(untilStatus(api, id, 'succeeded', 90_000));
    await drainQueue(queue);
    const rows = await expectSucceededOnce(api, id);
    expect(rows.map((a) => a.status)).toEqual(['lost', 'succeeded']);
    // The claim named step 3 and, as fallbacks, steps 2 and 1 (a checkpoint after every step).
    const [refused] = await eventsOf(id, 'checkpoint-not-reachable');
    expect(refused?.message).toMatch(
      new RegExp(`step ${TINY.steps} .*fingerprint mismatch.*; resuming from step ${TINY.steps - 1}$`),
    );
    expect(await eventsOf(id, 'recommitted')).toEqual([]);
    // Attempt 2 generated only the last step again; steps before it kept attempt 1's rollouts.
    const regenerated = await sql<{ step: number }>(
      api.db.url,
      'SELECT step FROM step_aggregates WHERE run_id = $1 AND attempt = 2 ORDER BY step',
      [id],
    );
    expect(regenerated.map((row) => row.step)).toEqual([TINY.steps - 1]);
    expect(existsSync(join(runDir(first, id), 'attempt-2', 'stdout.log'))).toBe(true);
  });
});
