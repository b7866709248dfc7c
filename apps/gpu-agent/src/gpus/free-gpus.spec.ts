import { describe, expect, it } from 'vitest';

import { freeGpus, gpuAvailability } from './free-gpus.js';
import type { Gpu, GpuProcess } from './gpu-inventory.js';

function gpu(index: number, processes: Array<Omit<GpuProcess, 'gpuUuid'>> = [], memoryUsedMiB = 1): Gpu {
  const uuid = `GPU-${index}`;
  return {
    index,
    uuid,
    name: 'NVIDIA H100 80GB HBM3',
    memoryTotalMiB: 81559,
    memoryUsedMiB,
    driverVersion: '550.54.15',
    cudaVersion: '12.4',
    processes: processes.map((p) => ({ ...p, gpuUuid: uuid })),
  };
}

const indices = (gpus: readonly Gpu[]) => gpus.map((g) => g.index);

describe('freeGpus', () => {
  it('is every GPU of an idle host, in index order', () => {
    expect(indices(freeGpus([gpu(1), gpu(0)], [], []))).toEqual([0, 1]);
  });

  it('is nothing on a host without GPUs', () => {
    expect(freeGpus([], [], [])).toEqual([]);
  });

  it('leaves out what this agent reserved, even before its run started a process there', () => {
    expect(indices(freeGpus([gpu(0), gpu(1)], [0], []))).toEqual([1]);
  });

  it('leaves out a GPU held by a process the agent does not own', () => {
    const inventory = [gpu(0, [{ pid: 999, usedMemoryMiB: 30_000 }]), gpu(1)];
    expect(indices(freeGpus(inventory, [], [123]))).toEqual([1]);
  });

  it('leaves out a GPU the agent no longer reserves while its own process still holds it', () => {
    const inventory = [gpu(0, [{ pid: 123, usedMemoryMiB: 30_000 }]), gpu(1)];
    expect(indices(freeGpus(inventory, [], [123]))).toEqual([1]);
  });

  it('counts a process of unknown size ([N/A]) as holding the GPU', () => {
    expect(indices(freeGpus([gpu(0, [{ pid: 5, usedMemoryMiB: null }]), gpu(1)], [], []))).toEqual([1]);
  });

  it('treats memory in use with no visible process as busy only when asked to', () => {
    const inventory = [gpu(0, [], 20_000), gpu(1, [], 3), gpu(2, [], Number.NaN)];
    expect(indices(freeGpus(inventory, [], []))).toEqual([0, 1, 2]);
    expect(indices(freeGpus(inventory, [], [], { busyMemoryMiB: 1024 }))).toEqual([1, 2]);
  });
});

describe('gpuAvailability', () => {
  it('says why each GPU is or is not free, and names intruders on reserved GPUs', () => {
    const inventory = [
      gpu(0, [
        { pid: 10, usedMemoryMiB: 60_000 },
        { pid: 666, usedMemoryMiB: 2_000 },
      ]),
      gpu(1, [{ pid: 777, usedMemoryMiB: 500 }]),
      gpu(2, [{ pid: 11, usedMemoryMiB: 500 }]),
      gpu(3),
    ];
    const states = gpuAvailability(inventory, new Set([0]), new Set([10, 11]));
    expect(states.map((s) => [s.gpu.index, s.state, s.foreignPids])).toEqual([
      [0, 'reserved', [666]],
      [1, 'busy-foreign', [777]],
      [2, 'busy-own', []],
      [3, 'free', []],
    ]);
  });
});
