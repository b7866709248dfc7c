import { validateConfig } from '@brier/config';
import { RUN_JOB_VERSION, type RunJobData } from '@brier/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AgentConfig } from '../src/config/agent.config.js';
import { GpuInventoryService } from '../src/gpus/gpu-inventory.service.js';
import { RunAdmission } from '../src/placement/run-admission.js';
import { PrimeRlInstallation } from '../src/prime-rl/prime-rl-installation.js';
import { HeldRuns } from '../src/runs/held-runs.js';
import { FAKE_NVIDIA_SMI, FAKE_UV, fakeGpus, tempDir } from './support/agent-process.js';

// The agent's own limits on top of GPU placement, against the fake nvidia-smi (two H100s).

let saved: string | undefined;
beforeAll(() => {
  saved = process.env['FAKE_NVIDIA_SMI_STATE'];
  process.env['FAKE_NVIDIA_SMI_STATE'] = fakeGpus(2);
});
afterAll(() => {
  if (saved === undefined) delete process.env['FAKE_NVIDIA_SMI_STATE'];
  else process.env['FAKE_NVIDIA_SMI_STATE'] = saved;
});

async function admission(env: Record<string, string> = {}): Promise<RunAdmission> {
  const config = validateConfig(AgentConfig, {
    NVIDIA_SMI_BIN: FAKE_NVIDIA_SMI,
    UV_BIN: FAKE_UV,
    PRIME_RL_DIR: tempDir('brier-prime-rl-'),
    AGENT_WORK_DIR: tempDir(),
    ...env,
  });
  const gpus = new GpuInventoryService(config);
  await gpus.refresh();
  const primeRl = new PrimeRlInstallation(config);
  await primeRl.check();
  return new RunAdmission(config, gpus, new HeldRuns(), primeRl);
}

let runs = 0;
function job(gpuCount: number): RunJobData {
  runs += 1;
  return {
    runId: `00000000-0000-4000-8000-${String(runs).padStart(12, '0')}`,
    specVersion: 1,
    jobVersion: RUN_JOB_VERSION,
    resources: { gpuCount, gpuType: null, labels: [] },
  };
}

describe('RunAdmission', () => {
  it('lets in at most AGENT_CPU_SLOTS runs needing no GPU, and one more once one is released', async () => {
    const agent = await admission({ AGENT_CPU_SLOTS: '2' });
    const first = await agent.admit('j1', job(0));
    const second = await agent.admit('j2', job(0));
    expect([first.kind, second.kind]).toEqual(['admitted', 'admitted']);
    expect(await agent.admit('j3', job(0))).toEqual({
      kind: 'busy',
      reason: 'all 2 AGENT_CPU_SLOTS in use',
    });
    // The slots are apart from the GPUs: a GPU run still gets in.
    expect((await agent.admit('j4', job(1))).kind).toBe('admitted');
    if (first.kind === 'admitted') first.release();
    expect((await agent.admit('j5', job(0))).kind).toBe('admitted');
  });

  it('sets GPUs aside until release, each once', async () => {
    const agent = await admission();
    const a = await agent.admit('j1', job(1));
    const b = await agent.admit('j2', job(1));
    expect([a, b].map((x) => (x.kind === 'admitted' ? x.gpuIndices : x.kind))).toEqual([[0], [1]]);
    expect((await agent.admit('j3', job(1))).kind).toBe('busy');
    if (a.kind === 'admitted') {
      a.release();
      a.release(); // a second release must not free a GPU someone else now holds
    }
    const c = await agent.admit('j4', job(1));
    expect(c.kind === 'admitted' && c.gpuIndices).toEqual([0]);
    expect((await agent.admit('j5', job(1))).kind).toBe('busy');
  });

  it('takes training runs side by side on every prime-rl version: each attempt gets its own ports', async () => {
    for (const version of ['v0.4.0', 'v0.6.0', 'main-559b447']) {
      const agent = await admission({ PRIME_RL_VERSION: version });
      const both = [await agent.admit('j1', job(1)), await agent.admit('j2', job(1))];
      expect(
        both.map((admitted) => admitted.kind),
        version,
      ).toEqual(['admitted', 'admitted']);
    }
  });

  it('places no GPU run where prime-rl cannot start', async () => {
    const agent = await admission({ UV_BIN: '/nonexistent/uv' });
    const refused = await agent.admit('j1', job(1));
    expect(refused).toMatchObject({
      kind: 'never',
      reason: expect.stringMatching(/prime-rl cannot run/) as unknown,
    });
    expect((await agent.admit('j2', job(0))).kind).toBe('admitted');
  });
});
