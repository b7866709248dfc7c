import { describe, expect, it } from 'vitest';

import type { Gpu } from '../gpus/gpu-inventory.js';
import { placeRun } from './run-placement.js';

function gpu(index: number, name = 'NVIDIA A100-SXM4-80GB', pids: number[] = []): Gpu {
  return {
    index,
    uuid: `GPU-${index}`,
    name,
    memoryTotalMiB: 81920,
    memoryUsedMiB: 0,
    driverVersion: '550.54.15',
    cudaVersion: '12.4',
    processes: pids.map((pid) => ({ pid, gpuUuid: `GPU-${index}`, usedMemoryMiB: 1000 })),
  };
}

const twoA100 = [gpu(0), gpu(1)];
const base = { agentLabels: ['a100'], primeRlVersion: 'v0.4.0', reserved: [], ownPids: [] };

describe('placeRun', () => {
  it('takes the lowest free GPUs', () => {
    expect(placeRun({ gpuCount: 1, gpuType: null, labels: [] }, { ...base, inventory: twoA100 })).toEqual({
      kind: 'fits',
      gpuIndices: [0],
    });
    expect(
      placeRun({ gpuCount: 1, gpuType: null, labels: [] }, { ...base, inventory: twoA100, reserved: [0] }),
    ).toEqual({ kind: 'fits', gpuIndices: [1] });
  });

  it('runs two 1-GPU jobs on a 2-GPU agent, and a third waits', () => {
    const input = { ...base, inventory: twoA100, reserved: [0, 1] };
    const placement = placeRun({ gpuCount: 1, gpuType: null, labels: [] }, input);
    expect(placement.kind).toBe('busy');
  });

  it('a GPU with a process on it is not free, whoever owns the process', () => {
    const inventory = [gpu(0, undefined, [4242]), gpu(1)];
    const resources = { gpuCount: 2, gpuType: null, labels: [] };
    expect(placeRun(resources, { ...base, inventory })).toMatchObject({
      kind: 'busy',
      reason: 'the run needs 2 free GPU(s); 1 free (0: busy-foreign, 1: free)',
    });
    // A run of ours whose reservation ended while its processes still exit: wait for them.
    expect(placeRun(resources, { ...base, inventory, ownPids: [4242] })).toMatchObject({
      kind: 'busy',
      reason: 'the run needs 2 free GPU(s); 1 free (0: busy-own, 1: free)',
    });
  });

  it('never places a run that needs more matching GPUs than the host has', () => {
    expect(
      placeRun({ gpuCount: 3, gpuType: null, labels: [] }, { ...base, inventory: twoA100 }),
    ).toMatchObject({
      kind: 'never',
      reason: 'the run needs 3 GPU(s); this agent has 2',
    });
    expect(
      placeRun({ gpuCount: 1, gpuType: 'H100', labels: [] }, { ...base, inventory: twoA100 }),
    ).toMatchObject({ kind: 'never', reason: 'the run needs 1 H100 GPU(s); this agent has 0' });
  });

  it('never places a run whose labels the agent lacks, even one needing no GPU', () => {
    expect(
      placeRun({ gpuCount: 0, gpuType: null, labels: ['spot'] }, { ...base, inventory: [] }),
    ).toMatchObject({
      kind: 'never',
      reason: 'this agent lacks label(s) spot',
    });
  });

  it('never places a train run written for another prime-rl version than the agent drives', () => {
    const run = { gpuCount: 1, gpuType: null, labels: [], primeRlVersion: 'v0.6.0' };
    expect(placeRun(run, { ...base, inventory: twoA100 })).toEqual({
      kind: 'never',
      reason: 'the run is written for prime-rl v0.6.0; this agent drives v0.4.0',
    });
    expect(placeRun(run, { ...base, primeRlVersion: 'v0.6.0', inventory: twoA100 })).toEqual({
      kind: 'fits',
      gpuIndices: [0],
    });
    // Evaluations and imports name no version: any agent's.
    expect(placeRun({ ...run, primeRlVersion: null }, { ...base, inventory: twoA100 })).toMatchObject({
      kind: 'fits',
    });
  });

  it('places GPU-less work on a host without GPUs', () => {
    expect(placeRun({ gpuCount: 0, gpuType: null, labels: [] }, { ...base, inventory: [] })).toEqual({
      kind: 'fits',
      gpuIndices: [],
    });
  });
});
