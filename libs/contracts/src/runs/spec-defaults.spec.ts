import { describe, expect, it } from 'vitest';

import {
  EVAL_SPEC_DEFAULTS,
  IMPORT_SPEC_DEFAULTS,
  TRAIN_SPEC_DEFAULTS,
  withDefaults,
} from './spec-defaults.js';
import { SPEC_VERSION } from './spec-version.js';

describe('withDefaults', () => {
  it('fills a train spec with the seed run, the penalty budget following maxTokens', () => {
    expect(withDefaults('train', { model: 'a/b' })).toEqual({
      ...TRAIN_SPEC_DEFAULTS,
      model: 'a/b',
      reward: { lowFraction: 0.2, highFraction: 0.8, maxTokens: 512 },
    });
    expect(withDefaults('train', { model: 'a/b', maxTokens: 1024 })).toMatchObject({
      maxTokens: 1024,
      reward: { maxTokens: 1024 },
    });
  });

  it('keeps the seed budget when maxTokens is itself invalid (its own error is enough)', () => {
    expect(withDefaults('train', { maxTokens: 'many' })).toMatchObject({ reward: { maxTokens: 512 } });
    expect(withDefaults('train', { maxTokens: 1e9 })).toMatchObject({ reward: { maxTokens: 512 } });
  });

  it('merges nested objects field by field and never overrides a given value', () => {
    expect(
      withDefaults('train', { dataset: { split: 'validation' }, reward: { maxTokens: 100, lowFraction: 0 } }),
    ).toMatchObject({
      dataset: { name: 'boolq', split: 'validation', balance: true, seed: 42 },
      reward: { maxTokens: 100, lowFraction: 0, highFraction: 0.8 },
    });
    expect(withDefaults('train', { checkpoints: false, temperature: 0 })).toMatchObject({
      checkpoints: false,
      temperature: 0,
    });
  });

  it('fills eval and import specs', () => {
    expect(withDefaults('eval', { target: { model: 'a/b' } })).toEqual({
      ...EVAL_SPEC_DEFAULTS,
      target: { model: 'a/b' },
      reward: { lowFraction: 0.2, highFraction: 0.8, maxTokens: 512 },
    });
    expect(withDefaults('import', {})).toEqual(IMPORT_SPEC_DEFAULTS);
  });

  it('returns what is not a plain object as it is, and never modifies its input', () => {
    expect(withDefaults('train', null)).toBeNull();
    expect(withDefaults('train', 'x')).toBe('x');
    const list = [1];
    expect(withDefaults('train', list)).toBe(list);
    const spec = { model: 'a/b', dataset: { seed: 1 } };
    withDefaults('train', spec);
    expect(spec).toEqual({ model: 'a/b', dataset: { seed: 1 } });
    expect(Object.isFrozen(TRAIN_SPEC_DEFAULTS) || TRAIN_SPEC_DEFAULTS.dataset.seed === 42).toBe(true);
  });

  it('is spec version 1', () => {
    expect(SPEC_VERSION).toBe(1);
  });
});
