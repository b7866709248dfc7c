import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ClaimRunResponse, ResumeCheckpoint } from '@brier/contracts';
import { afterEach, describe, expect, it } from 'vitest';

import { checkpointFingerprint } from '../checkpoints/checkpoint-fingerprint.js';
import { resumePoint } from './resume-point.js';

const MAX_STEPS = 50;
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function runDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-resume-'));
  dirs.push(dir);
  return dir;
}

/** A complete trainer checkpoint of `step` on disk, as the API knows it (fingerprinted or not). */
async function checkpoint(dir: string, step: number, fingerprinted = true): Promise<ResumeCheckpoint> {
  const path = `rl/checkpoints/step_${step}`;
  await mkdir(join(dir, path, 'trainer'), { recursive: true });
  await writeFile(join(dir, path, 'trainer', '__0_0.distcp'), 'x'.repeat(100 + step));
  await writeFile(join(dir, path, 'trainer', '.metadata'), 'm');
  const fingerprint = fingerprinted ? await checkpointFingerprint(join(dir, path)) : null;
  return { step, attempt: 1, agentId: null, path, fingerprint };
}

function claim(offered: ResumeCheckpoint[]): ClaimRunResponse {
  const [newest, ...fallbacks] = offered;
  return {
    runId: 'run-1',
    name: 'resume',
    kind: 'train',
    leaseToken: 'lease',
    attempt: 2,
    spec: {},
    specVersion: 1,
    resumeStep: newest?.step ?? null,
    resumeCheckpoint: newest ?? null,
    resumeFallbacks: fallbacks,
  };
}

describe('resumePoint', () => {
  it('starts fresh when the API names no checkpoint', async () => {
    expect(await resumePoint(claim([]), await runDir(), MAX_STEPS)).toEqual({
      startStep: 0,
      trainingEnded: false,
      notReachable: null,
    });
  });

  it('resumes from the newest checkpoint that is here and unchanged', async () => {
    const dir = await runDir();
    const offered = [await checkpoint(dir, 30), await checkpoint(dir, 20)];
    expect(await resumePoint(claim(offered), dir, MAX_STEPS)).toEqual({
      startStep: 30,
      trainingEnded: false,
      notReachable: null,
    });
  });

  it('falls back to an older checkpoint when the newest changed or is elsewhere, and says why', async () => {
    const dir = await runDir();
    const changed = await checkpoint(dir, 30);
    await truncate(join(dir, changed.path, 'trainer', '__0_0.distcp'), 1); // a copy cut short
    const elsewhere = { ...(await checkpoint(dir, 25)), agentId: 'agent-b' };
    await rm(join(dir, elsewhere.path), { recursive: true });
    const offered = [changed, elsewhere, await checkpoint(dir, 20), await checkpoint(dir, 10)];

    const resume = await resumePoint(claim(offered), dir, MAX_STEPS);
    expect(resume).toMatchObject({ startStep: 20, trainingEnded: false });
    expect(resume.notReachable).toMatch(
      /^checkpoint step 30 of attempt 1 \(rl\/checkpoints\/step_30\) is not what was written .*fingerprint mismatch\); checkpoint step 25 .* is not on this host \(written by agent agent-b\); resuming from step 20$/,
    );
  });

  it("re-commits from the final step's checkpoint only when it is fingerprinted and unchanged", async () => {
    const dir = await runDir();
    const final = await checkpoint(dir, MAX_STEPS);
    const before = await checkpoint(dir, 40);
    expect(await resumePoint(claim([final, before]), dir, MAX_STEPS)).toEqual({
      startStep: MAX_STEPS,
      trainingEnded: true,
      notReachable: null,
    });

    const unvouched = { ...final, fingerprint: null };
    const resume = await resumePoint(claim([unvouched, before]), dir, MAX_STEPS);
    expect(resume).toMatchObject({ startStep: 40, trainingEnded: false });
    expect(resume.notReachable).toMatch(/final step's but has no fingerprint.*; resuming from step 40$/);
  });

  it('starts from step 0 when no offered checkpoint is usable here', async () => {
    const dir = await runDir();
    const offered = [await checkpoint(dir, 20), await checkpoint(dir, 10)];
    for (const { path } of offered) await rm(join(dir, path), { recursive: true });
    const resume = await resumePoint(claim(offered), dir, MAX_STEPS);
    expect(resume).toMatchObject({ startStep: 0, trainingEnded: false });
    expect(resume.notReachable).toMatch(
      /step 20 .* is not on this host; checkpoint step 10 .*; starting from step 0$/,
    );
  });
});
