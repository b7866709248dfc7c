import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { classicLayout } from '../prime-rl/classic-v0-4.adapter.js';
import { checkpointFingerprint } from './checkpoint-fingerprint.js';
import { discardCheckpointsAfter, scanCheckpoints, type CheckpointState } from './checkpoint-scan.js';
import { CheckpointWatcher } from './checkpoint-watcher.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function runDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'brier-checkpoints-'));
  dirs.push(dir);
  return dir;
}

async function touch(path: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '');
}

describe('scanCheckpoints', () => {
  it('finds step_N directories and tells whole ones by their markers', async () => {
    const dir = await runDir();
    const layout = classicLayout(join(dir, 'rl'));
    expect(await scanCheckpoints(layout, dir)).toEqual([]); // nothing written yet
    const ckpt = layout.checkpointsDir;
    await touch(join(ckpt, 'step_10', 'trainer', '.metadata')); // v0.4.0: DCP metadata written last
    await touch(join(ckpt, 'step_2', 'trainer', '__0_0.distcp')); // still being written
    await touch(join(ckpt, 'step_3', 'STABLE')); // later classic releases
    await touch(join(ckpt, 'step_07', 'trainer', '.metadata')); // not prime-rl's name
    await touch(join(ckpt, 'latest', 'trainer', '.metadata'));
    await touch(join(ckpt, 'step_4')); // a file, not a directory
    await touch(join(layout.weightsDir!, 'step_10', 'STABLE'));
    await touch(join(layout.weightsDir!, 'step_3', 'model.safetensors'));

    expect(await scanCheckpoints(layout, dir)).toEqual([
      { step: 2, kind: 'trainer', path: 'rl/checkpoints/step_2', complete: false },
      { step: 3, kind: 'trainer', path: 'rl/checkpoints/step_3', complete: true },
      { step: 10, kind: 'trainer', path: 'rl/checkpoints/step_10', complete: true },
      { step: 3, kind: 'weights', path: 'rl/weights/step_3', complete: false },
      { step: 10, kind: 'weights', path: 'rl/weights/step_10', complete: true },
    ]);
    expect(await scanCheckpoints({ ...layout, weightsDir: null }, dir)).toHaveLength(3);
  });
});

describe('discardCheckpointsAfter', () => {
  it('removes the checkpoints and weights of the steps an attempt trains again, keeps the rest', async () => {
    const dir = await runDir();
    const layout = classicLayout(join(dir, 'rl'));
    for (const step of [5, 10, 15]) {
      await touch(join(layout.checkpointsDir, `step_${step}`, 'trainer', '.metadata'));
      await touch(join(layout.weightsDir!, `step_${step}`, 'STABLE'));
    }
    await touch(join(layout.checkpointsDir, 'latest', 'trainer', '.metadata')); // not a step: kept

    expect(await discardCheckpointsAfter(layout, dir, 5)).toEqual([
      'rl/checkpoints/step_10',
      'rl/checkpoints/step_15',
      'rl/weights/step_10',
      'rl/weights/step_15',
    ]);
    expect((await scanCheckpoints(layout, dir)).map((c) => `${c.kind}:${c.step}`)).toEqual([
      'trainer:5',
      'weights:5',
    ]);
    expect(await discardCheckpointsAfter(layout, dir, 0)).toEqual([
      'rl/checkpoints/step_5',
      'rl/weights/step_5',
    ]);
    expect(await scanCheckpoints(layout, dir)).toEqual([]);
  });
});

describe('CheckpointWatcher', () => {
  it('reports a checkpoint when it appears and again when it becomes complete, once each', async () => {
    const dir = await runDir();
    const layout = classicLayout(join(dir, 'rl'));
    const seen: CheckpointState[] = [];
    const watcher = new CheckpointWatcher({
      layout,
      runDir: dir,
      intervalMs: 10,
      onChange: (state) => {
        seen.push(state);
        return Promise.resolve();
      },
    });
    watcher.start();
    await touch(join(layout.checkpointsDir, 'step_1', 'trainer', '__0_0.distcp'));
    await sleep(60);
    await touch(join(layout.checkpointsDir, 'step_1', 'trainer', '.metadata'));
    // The weights directory appears with its STABLE marker in it (one rename): made in two steps,
    // a scan in between would rightly report it incomplete first.
    await touch(join(dir, 'staging', 'step_1', 'STABLE'));
    await mkdir(layout.weightsDir!, { recursive: true });
    await rename(join(dir, 'staging', 'step_1'), join(layout.weightsDir!, 'step_1'));
    await sleep(60);
    await watcher.stop();
    await watcher.scanNow(); // nothing new: no call
    expect(seen).toEqual([
      { step: 1, kind: 'trainer', path: 'rl/checkpoints/step_1', complete: false },
      {
        step: 1,
        kind: 'trainer',
        path: 'rl/checkpoints/step_1',
        complete: true,
        fingerprint: await checkpointFingerprint(join(layout.checkpointsDir, 'step_1')),
      },
      {
        step: 1,
        kind: 'weights',
        path: 'rl/weights/step_1',
        complete: true,
        fingerprint: await checkpointFingerprint(join(layout.weightsDir!, 'step_1')),
      },
    ]);
    expect(watcher.lastError).toBeNull();
  });

  it('surfaces a failing onChange and reports that state again on the next scan', async () => {
    const dir = await runDir();
    const layout = classicLayout(join(dir, 'rl'));
    await touch(join(layout.weightsDir!, 'step_5', 'STABLE'));
    let failures = 1;
    const delivered: number[] = [];
    const errors: Error[] = [];
    const watcher = new CheckpointWatcher({
      layout,
      runDir: dir,
      intervalMs: 10,
      onChange: (state) => {
        if (failures > 0) {
          failures -= 1;
          return Promise.reject(new Error('API unavailable'));
        }
        delivered.push(state.step);
        return Promise.resolve();
      },
      onError: (error) => errors.push(error),
    });
    await expect(watcher.scanNow()).rejects.toThrow('API unavailable');

    failures = 1;
    watcher.start();
    const deadline = Date.now() + 5_000;
    while (delivered.length === 0 && Date.now() < deadline) await sleep(10);
    await watcher.stop();
    expect(errors.map((e) => e.message)).toEqual(['API unavailable']);
    expect(delivered).toEqual([5]);
    expect(watcher.lastError).toBeNull(); // a later scan succeeded
  });
});
