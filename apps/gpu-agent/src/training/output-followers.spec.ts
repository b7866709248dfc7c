import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { OutputFollowers } from './output-followers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function files() {
  const dir = mkdtempSync(join(tmpdir(), 'brier-followers-'));
  dirs.push(dir);
  return { orchestratorLog: join(dir, 'orchestrator.stdout'), rolloutLog: join(dir, 'rollouts.jsonl') };
}

function follow(paths: { orchestratorLog: string; rolloutLog: string }) {
  const seen = { orchestrator: [] as string[], rollouts: [] as string[], errors: [] as string[] };
  const followers = new OutputFollowers({
    ...paths,
    onOrchestratorLine: (line) => seen.orchestrator.push(line),
    onRolloutLine: (line) => seen.rollouts.push(line),
    onError: (error) => seen.errors.push(error.message),
  });
  return { followers, seen };
}

describe('OutputFollowers', () => {
  it('hands on each file’s lines, those written before finish() too, and files that appear late', async () => {
    const paths = files();
    const { followers, seen } = follow(paths);
    writeFileSync(paths.orchestratorLog, 'Step 0 | Time: 1.0s\n');
    appendFileSync(paths.orchestratorLog, 'Step 1 | Time: 1.1s\n');
    writeFileSync(paths.rolloutLog, '{"index":0}\n{"index":1}\n');
    await followers.finish(5_000);
    expect(seen).toEqual({
      orchestrator: ['Step 0 | Time: 1.0s', 'Step 1 | Time: 1.1s'],
      rollouts: ['{"index":0}', '{"index":1}'],
      errors: [],
    });
    expect(followers.error).toBeNull();
  });

  it('keeps a follower’s failure for the verdict, says it once, and still finishes the other file', async () => {
    const paths = files();
    mkdirSync(paths.rolloutLog); // reading it fails (EISDIR), as a file the agent may not read would
    writeFileSync(paths.orchestratorLog, 'Step 0 | Time: 1.0s\n');
    const { followers, seen } = follow(paths);
    await followers.finish(5_000);
    expect(followers.error?.message).toMatch(/EISDIR/);
    expect(seen.errors).toEqual([followers.error?.message]);
    expect(seen.orchestrator).toEqual(['Step 0 | Time: 1.0s']);
  });

  it('stops at once when nothing was launched', async () => {
    const { followers, seen } = follow(files());
    await followers.close();
    expect(seen).toEqual({ orchestrator: [], rollouts: [], errors: [] });
  });
});
