import { describe, expect, it } from 'vitest';

import { gpuMatchesType, missingLabels } from './gpu-placement.js';

describe('gpuMatchesType', () => {
  it.each([
    ['NVIDIA A100-SXM4-80GB', 'A100-80GB', true],
    ['NVIDIA A100-SXM4-40GB', 'A100-80GB', false],
    ['NVIDIA A100-SXM4-40GB', 'a100', true],
    ['NVIDIA H100 80GB HBM3', 'H100', true],
    ['NVIDIA H100 NVL', 'H100 NVL', true],
    ['NVIDIA H200', 'H100', false],
    ['NVIDIA GeForce RTX 4090', 'RTX 4090', true],
    ['NVIDIA GeForce RTX 4090', '4090', true],
    ['NVIDIA GeForce RTX 4080', '4090', false],
  ])('%s is %s: %s', (name, type, expected) => {
    expect(gpuMatchesType(name, type)).toBe(expected);
  });

  it('matches any GPU when no type is asked for', () => {
    expect(gpuMatchesType('NVIDIA L4', null)).toBe(true);
    expect(gpuMatchesType('NVIDIA L4', undefined)).toBe(true);
  });

  it('a type with no usable token matches nothing', () => {
    expect(gpuMatchesType('NVIDIA L4', 'NVIDIA')).toBe(false);
  });
});

describe('missingLabels', () => {
  it('lists the labels an agent lacks, in the run order', () => {
    expect(missingLabels(['a100', 'spot', 'eu'], ['eu', 'a100'])).toEqual(['spot']);
    expect(missingLabels([], [])).toEqual([]);
  });
});
