import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { configsDir } from '@brier/config';

import { loadPreset } from './preset-loader.js';
import { InvalidPresetError, UnknownPresetError } from './preset-errors.js';
import { parseRunRequest, resolveRunRequest } from './resolve-run-request.js';

const AVAILABLE =
  'available: eval-boolq-validation, seed-gemma2-2b-boolq, seed-gemma2-2b-boolq-no-passage, smoke-tiny';

function resolved(request: unknown): Record<string, unknown> {
  const result = resolveRunRequest(request);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value as Record<string, unknown>;
}

describe('resolveRunRequest', () => {
  it('submits a preset as it is: its name becomes the run name', () => {
    const seed = loadPreset('seed-gemma2-2b-boolq');
    expect(resolved({ preset: 'seed-gemma2-2b-boolq' })).toEqual({
      preset: 'seed-gemma2-2b-boolq',
      name: 'seed-gemma2-2b-boolq',
      kind: 'train',
      resources: seed.resources,
      spec: seed.spec,
    });
    const parsed = parseRunRequest({ preset: 'seed-gemma2-2b-boolq' });
    expect(parsed.ok && parsed.value.spec).toMatchObject({ model: 'google/gemma-2-2b-it', batchSize: 1024 });
  });

  it('lets the request win field by field, merging nested objects and replacing arrays', () => {
    const value = resolved({
      preset: 'seed-gemma2-2b-boolq',
      name: 'seed, lr 2e-6',
      resources: { labels: ['a100'] },
      spec: { learningRate: 2e-6, dataset: { seed: 7 }, reward: { highFraction: 0.9 } },
    });
    expect(value['name']).toBe('seed, lr 2e-6');
    expect(value['resources']).toEqual({ gpuCount: 2, labels: ['a100'] });
    expect(value['spec']).toMatchObject({
      model: 'google/gemma-2-2b-it',
      learningRate: 2e-6,
      maxSteps: 50,
      dataset: { name: 'boolq', split: 'train', balance: true, seed: 7 },
      reward: { maxTokens: 512, lowFraction: 0.2, highFraction: 0.9 },
    });
  });

  it("replaces an eval's target instead of merging it (it is one of model, checkpoint, endpoint)", () => {
    const checkpoint = { runId: '0b8f4f3e-8f7d-4c59-9a53-3f3b1f6a2c11', step: 49 };
    const parsed = parseRunRequest({
      preset: 'eval-boolq-validation',
      name: 'step 49',
      spec: { target: { checkpoint } },
    });
    expect(parsed.ok && parsed.value.spec).toMatchObject({ target: { checkpoint } });
    expect(parsed.ok && parsed.value.spec).not.toHaveProperty('target.model');
  });

  it('scales the seed run down, and then validation still applies', () => {
    const ok = parseRunRequest({ preset: 'seed-gemma2-2b-boolq', spec: { maxSteps: 5, batchSize: 64 } });
    expect(ok.ok).toBe(true);
    const bad = parseRunRequest({ preset: 'seed-gemma2-2b-boolq', spec: { batchSize: 60 } });
    expect(bad).toEqual({
      ok: false,
      errors: [
        { path: 'spec.batchSize', message: 'batchSize (60) must be divisible by rolloutsPerExample (8)' },
      ],
    });
  });

  it('answers an unknown preset with the list of available ones', () => {
    expect(resolveRunRequest({ preset: 'gemma-7b', name: 'x' })).toEqual({
      ok: false,
      errors: [{ path: 'preset', message: `preset 'gemma-7b' does not exist (${AVAILABLE})` }],
    });
    expect(() => loadPreset('gemma-7b')).toThrow(UnknownPresetError);
    expect(() => loadPreset('../prompts/boolq-passage-v1')).toThrow(UnknownPresetError);
  });

  it('refuses a kind that contradicts the preset', () => {
    expect(resolveRunRequest({ preset: 'seed-gemma2-2b-boolq', kind: 'eval' })).toEqual({
      ok: false,
      errors: [
        { path: 'kind', message: "kind must be 'train' for preset 'seed-gemma2-2b-boolq' (got 'eval')" },
      ],
    });
  });

  it('leaves requests without a usable preset name for validation to judge', () => {
    const request = { kind: 'train', preset: '../../etc/passwd', name: 'x' };
    expect(resolved(request)).toEqual(request);
    const parsed = parseRunRequest(request);
    expect(!parsed.ok && parsed.errors).toContainEqual({
      path: 'preset',
      message: 'preset must be a preset name: [a-z0-9-], at most 64',
    });
    expect(resolved('not an object')).toBe('not an object');
    expect(resolved({ preset: 7 })).toEqual({ preset: 7 });
  });

  it('does not modify the request or the preset', () => {
    const request = { preset: 'smoke-tiny', spec: { dataset: { seed: 1 } } };
    const before = JSON.stringify(request);
    const value = resolved(request);
    (value['spec'] as { dataset: { seed: number } }).dataset.seed = 99;
    expect(JSON.stringify(request)).toBe(before);
    expect(loadPreset('smoke-tiny').spec['dataset']).toMatchObject({ seed: 42 });
  });
});

describe('broken preset files', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brier-presets-'));
    mkdirSync(join(dir, 'presets'));
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(
      join(dir, 'prompts', 'boolq-passage-v1.json'),
      JSON.stringify({
        name: 'boolq-passage-v1',
        description: 'test copy',
        instructions: 'Answer.',
        template: '{instructions}\nPassage: {passage}\n\nQuestion: {question}?',
        passageMaxChars: 1500,
        passageEllipsis: '...',
      }),
    );
    vi.stubEnv('BRIER_CONFIGS_DIR', dir);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, body: unknown) =>
    writeFileSync(
      join(dir, 'presets', `${name}.json`),
      typeof body === 'string' ? body : JSON.stringify(body),
    );
  const good = {
    name: 'mine',
    description: 'a test preset',
    kind: 'train',
    resources: { gpuCount: 1 },
    spec: { model: 'a/b' },
  };

  it('reads presets from BRIER_CONFIGS_DIR', () => {
    expect(configsDir()).toBe(dir);
    write('mine', good);
    expect(loadPreset('mine').spec).toEqual({ model: 'a/b' });
    expect(resolveRunRequest({ preset: 'seed-gemma2-2b-boolq' })).toEqual({
      ok: false,
      errors: [{ path: 'preset', message: "preset 'seed-gemma2-2b-boolq' does not exist (available: mine)" }],
    });
  });

  it.each([
    ['not JSON', '{ "name": ', 'not readable JSON: '],
    [
      'a name that is not its file name',
      { ...good, name: 'other' },
      "name: name must be 'mine', its file name",
    ],
    ['an unknown key', { ...good, owner: 'me' }, 'owner: property owner should not exist'],
    [
      'an invalid spec',
      { ...good, spec: { model: 'a/b', maxSteps: 1e9 } },
      'spec.maxSteps: maxSteps must not be greater than 100000',
    ],
    [
      'a template that is not there',
      { ...good, spec: { model: 'a/b', promptTemplate: 'x' } },
      "promptTemplate 'x' is not a prompt template",
    ],
  ])('refuses %s', (_what, body, message) => {
    write('mine', body);
    expect(() => loadPreset('mine')).toThrow(InvalidPresetError);
    expect(() => loadPreset('mine')).toThrow(message);
    const result = resolveRunRequest({ preset: 'mine' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.message).toMatch(
      /^preset 'mine' is broken: configs\/presets\/mine\.json is not a valid preset/,
    );
  });
});
