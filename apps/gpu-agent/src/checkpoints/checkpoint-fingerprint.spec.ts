import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { checkpointFingerprint } from './checkpoint-fingerprint.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A checkpoint step directory like v0.4.0's: DCP shards and metadata under trainer/, a marker. */
async function checkpoint(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-fingerprint-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const STEP = {
  'trainer/__0_0.distcp': 'shard zero',
  'trainer/__1_0.distcp': 'shard one!',
  'trainer/.metadata': 'meta',
  STABLE: '',
};

describe('checkpointFingerprint', () => {
  it('is the same for the same files whatever order they were written in', async () => {
    const reversed = Object.fromEntries(Object.entries(STEP).reverse());
    const fingerprint = await checkpointFingerprint(await checkpoint(STEP));
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(await checkpointFingerprint(await checkpoint(reversed))).toBe(fingerprint);
  });

  it('changes when a file is cut short, goes missing, is added or renamed', async () => {
    const dir = await checkpoint(STEP);
    const whole = await checkpointFingerprint(dir);
    const seen = new Set([whole]);

    await truncate(join(dir, 'trainer', '__1_0.distcp'), 3); // a crash or a full disk mid-write
    seen.add(await checkpointFingerprint(dir));
    await rm(join(dir, 'trainer', '__1_0.distcp')); // deleted by hand or by a rotation
    seen.add(await checkpointFingerprint(dir));
    await writeFile(join(dir, 'trainer', '__2_0.distcp'), 'shard one!'); // same size, other name
    seen.add(await checkpointFingerprint(dir));
    expect(seen.size).toBe(4);
  });

  it('fingerprints a link as a link, without following it out of the directory', async () => {
    const dir = await checkpoint(STEP);
    await symlink('/etc', join(dir, 'trainer', 'outside'));
    // lstat of a link gives the length of its target ('/etc': 4), not /etc's files.
    const sameAsFile = await checkpoint({ ...STEP, 'trainer/outside': 'four' });
    const plain = await checkpointFingerprint(await checkpoint(STEP));
    expect(await checkpointFingerprint(dir)).toBe(await checkpointFingerprint(sameAsFile));
    expect(await checkpointFingerprint(dir)).not.toBe(plain);
  });

  it("covers only the trainer's part of a step that has one (what a resume restores)", async () => {
    const dir = await checkpoint(STEP);
    const before = await checkpointFingerprint(dir);
    // prime-rl main may add the orchestrator's half of a final checkpoint after the trainer's marker.
    await mkdir(join(dir, 'orchestrator'));
    await writeFile(join(dir, 'orchestrator', 'progress.pt'), 'progress');
    expect(await checkpointFingerprint(dir)).toBe(before);
    // A step without a trainer/ part (Hugging Face weights) is fingerprinted whole.
    const weights = await checkpoint({ 'model.safetensors': 'weights', STABLE: '' });
    const whole = await checkpointFingerprint(weights);
    await truncate(join(weights, 'model.safetensors'), 1);
    expect(await checkpointFingerprint(weights)).not.toBe(whole);
  });
});
