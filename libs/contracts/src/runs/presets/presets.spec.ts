import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { configsDir } from '@brier/config';
import { describe, expect, it } from 'vitest';

import { TrainSpecDto } from '../dto/train-spec.dto.js';
import { withDefaults } from '../spec-defaults.js';
import { formatRunRequestErrors, validateRunRequest } from '../validate-run-request.js';
import { listPresets, loadPreset, type RunPreset } from './preset-loader.js';

const PRESETS_DIR = join(configsDir(), 'presets');

function validated(preset: RunPreset) {
  const result = validateRunRequest({
    name: preset.name,
    kind: preset.kind,
    resources: preset.resources,
    spec: preset.spec,
  });
  if (!result.ok) throw new Error(`${preset.name}:\n${formatRunRequestErrors(result.errors)}`);
  return result.value;
}

describe('configs/presets', () => {
  it('ships the seed run, its no-passage variant, the smoke run and the held-out eval', () => {
    expect(listPresets().map((p) => p.name)).toEqual([
      'eval-boolq-validation',
      'seed-gemma2-2b-boolq',
      'seed-gemma2-2b-boolq-no-passage',
      'smoke-tiny',
    ]);
    const files = readdirSync(PRESETS_DIR).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(4);
  });

  it.each(readdirSync(PRESETS_DIR).map((f) => f.replace(/\.json$/, '')))(
    '%s validates as a run request',
    (name) => {
      const preset = loadPreset(name);
      expect(
        Object.keys(JSON.parse(readFileSync(join(PRESETS_DIR, `${name}.json`), 'utf8')) as object),
      ).toEqual(['name', 'description', 'kind', 'resources', 'spec']);
      expect(preset.description.length).toBeGreaterThan(20);
      expect(validated(preset).kind).toBe(preset.kind);
    },
  );

  it.each(readdirSync(PRESETS_DIR).map((f) => f.replace(/\.json$/, '')))(
    '%s spells out every field (defaults change; a preset must not)',
    (name) => {
      const preset = loadPreset(name);
      expect(withDefaults(preset.kind, preset.spec)).toEqual(preset.spec);
    },
  );
});

describe("seed-gemma2-2b-boolq is the seed's published run (seed-spec.md §6, §1, §3)", () => {
  const preset = loadPreset('seed-gemma2-2b-boolq');
  const spec = validated(preset).spec as TrainSpecDto;

  /** [field, value in the spec, what the seed's TOML or data said] */
  const SEED: [string, unknown, unknown, string][] = [
    ['kind', preset.kind, 'train', 'a prime-rl GRPO run (uv run rl @ config.toml)'],
    ['resources.gpuCount', preset.resources['gpuCount'], 2, 'two A100 80GB: GPU 0 vLLM, GPU 1 trainer'],
    ['model', spec.model, 'google/gemma-2-2b-it', 'model google/gemma-2-2b-it'],
    ['maxSteps', spec.maxSteps, 50, 'max_steps 50'],
    ['seqLen', spec.seqLen, 2048, 'seq_len 2048'],
    ['maxAsyncLevel', spec.maxAsyncLevel, 0, 'max_async_level 0'],
    ['batchSize', spec.batchSize, 1024, 'orchestrator.batch_size 1024 (128 questions × 8)'],
    ['rolloutsPerExample', spec.rolloutsPerExample, 8, 'orchestrator.rollouts_per_example 8'],
    ['maxTokens', spec.maxTokens, 512, 'orchestrator.sampling.max_tokens 512'],
    ['learningRate', spec.learningRate, 1e-6, 'trainer.optim.lr 1e-6'],
    ['checkpoints', spec.checkpoints, true, '[ckpt] enabled'],
    ['checkpointInterval', spec.checkpointInterval, undefined, '[ckpt] without an interval: the final step'],
    ['dataset.name', spec.dataset.name, 'boolq', 'BoolQ (google/boolq)'],
    ['dataset.split', spec.dataset.split, 'train', 'the train split (9,427 rows)'],
    ['dataset.balance', spec.dataset.balance, true, 'balanced to 3,553 YES + 3,553 NO'],
    ['dataset.seed', spec.dataset.seed, 42, 'shuffle with seed 42'],
    [
      'promptTemplate',
      spec.promptTemplate,
      'boolq-passage-v1',
      'instructions + passage (cut at 1,500) + question',
    ],
    ['reward.maxTokens', spec.reward.maxTokens, 512, 'max_tokens = 512'],
    ['reward.lowFraction', spec.reward.lowFraction, 0.2, 'low = 0.2·512'],
    ['reward.highFraction', spec.reward.highFraction, 0.8, 'high = 0.8·512'],
    ['primeRl.version', spec.primeRl.version, 'v0.4.0', 'the classic (v0.4.0-era) schema'],
  ];

  it.each(SEED)('%s', (_field, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it('has no field the table above does not pin, except the sampling temperature', () => {
    const pinned = new Set(SEED.map(([field]) => field.split('.')[0]));
    const rest = Object.keys(preset.spec).filter((key) => !pinned.has(key));
    expect(rest).toEqual(['temperature']);
    expect(spec.temperature).toBe(1);
  });

  it('the no-passage variant differs only in its prompt', () => {
    const variant = loadPreset('seed-gemma2-2b-boolq-no-passage');
    expect(variant.spec).toEqual({ ...preset.spec, promptTemplate: 'boolq-no-passage-v1' });
    expect(variant.resources).toEqual(preset.resources);
    expect(variant.kind).toBe('train');
  });
});

describe('the smaller presets', () => {
  it('smoke-tiny is the seed run scaled down: 5 steps × 64 rollouts (8 per question) on 1 GPU', () => {
    const seed = loadPreset('seed-gemma2-2b-boolq');
    const tiny = loadPreset('smoke-tiny');
    expect(tiny.resources).toEqual({ gpuCount: 1, labels: [] });
    expect(tiny.spec).toEqual({ ...seed.spec, maxSteps: 5, batchSize: 64, checkpointInterval: 1 });
    expect(tiny.spec['rolloutsPerExample']).toBe(8);
  });

  it('eval-boolq-validation scores google/gemma-2-2b-it on the validation split, k = 4', () => {
    const preset = loadPreset('eval-boolq-validation');
    expect(preset.kind).toBe('eval');
    expect(preset.spec).toMatchObject({
      target: { model: 'google/gemma-2-2b-it' },
      dataset: { name: 'boolq', split: 'validation' },
      samplesPerQuestion: 4,
      promptTemplate: 'boolq-passage-v1',
      reward: { maxTokens: 512, lowFraction: 0.2, highFraction: 0.8 },
    });
    expect(preset.spec['dataset']).not.toHaveProperty('limit');
  });
});
