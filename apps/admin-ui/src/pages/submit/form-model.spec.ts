import { describe, expect, it } from 'vitest';

import type { Preset } from '../../api/types.js';
import { buildRunRequest, initialValues, parseExtraSpec, placeErrors, presetFields } from './form-model.js';

const SMOKE: Preset = {
  name: 'smoke-tiny',
  description: 'tiny',
  kind: 'train',
  resources: { gpuCount: 1, labels: [] },
  spec: {
    model: 'google/gemma-2-2b-it',
    maxSteps: 5,
    batchSize: 64,
    learningRate: 1e-6,
    dataset: { name: 'boolq', split: 'train', balance: true, seed: 42 },
    checkpoints: true,
  },
};

describe('the run form model', () => {
  const fields = presetFields(SMOKE);

  it("lists every leaf of the preset's resources (plus gpuType) and spec, by dotted path", () => {
    expect(fields.map((f) => [f.path, f.type])).toEqual([
      ['resources.gpuCount', 'number'],
      ['resources.gpuType', 'text'],
      ['resources.labels', 'list'],
      ['spec.model', 'text'],
      ['spec.maxSteps', 'number'],
      ['spec.batchSize', 'number'],
      ['spec.learningRate', 'number'],
      ['spec.dataset.name', 'text'],
      ['spec.dataset.split', 'text'],
      ['spec.dataset.balance', 'boolean'],
      ['spec.dataset.seed', 'number'],
      ['spec.checkpoints', 'boolean'],
    ]);
  });

  it('sends the preset, the name and only what differs from the preset', () => {
    const values = {
      ...initialValues(fields),
      'spec.maxSteps': '12',
      'spec.dataset.seed': '7',
      'spec.checkpoints': false,
      'resources.labels': 'eu-west, nvlink',
    };
    expect(
      buildRunRequest({
        preset: SMOKE,
        fields,
        values,
        name: ' my run ',
        description: '',
        extraSpec: { checkpointInterval: 2 },
      }),
    ).toEqual({
      preset: 'smoke-tiny',
      name: 'my run',
      resources: { labels: ['eu-west', 'nvlink'] },
      spec: { maxSteps: 12, dataset: { seed: 7 }, checkpoints: false, checkpointInterval: 2 },
    });
    expect(
      buildRunRequest({
        preset: SMOKE,
        fields,
        values: initialValues(fields),
        name: 'x',
        description: 'why',
      }),
    ).toEqual({
      preset: 'smoke-tiny',
      name: 'x',
      description: 'why',
    });
  });

  it('leaves judging to the API: a cleared number is null, letters stay text', () => {
    const values = { ...initialValues(fields), 'spec.maxSteps': '', 'spec.batchSize': '64x' };
    expect(buildRunRequest({ preset: SMOKE, fields, values, name: 'x', description: '' })['spec']).toEqual({
      maxSteps: null,
      batchSize: '64x',
    });
  });

  it("places the API's messages by field, the rest in a general list", () => {
    const placed = placeErrors(
      [
        { path: 'spec.batchSize', message: 'batchSize (1020) must be divisible by rolloutsPerExample (8)' },
        { path: 'name', message: 'name must be letters…' },
        { path: 'spec.dataset.seed.deep', message: 'inner' },
        { path: 'spec.primeRl.version', message: 'unknown version' },
        { path: '', message: 'body must be an object' },
      ],
      ['name', ...fields.map((f) => f.path)],
    );
    expect([...placed.byField]).toEqual([
      ['spec.batchSize', ['batchSize (1020) must be divisible by rolloutsPerExample (8)']],
      ['name', ['name must be letters…']],
      ['spec.dataset.seed', ['inner']],
    ]);
    expect(placed.general.map((e) => e.path)).toEqual(['spec.primeRl.version', '']);
  });

  it('takes further spec fields as a JSON object only', () => {
    expect(parseExtraSpec('  ')).toEqual({ ok: true });
    expect(parseExtraSpec('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseExtraSpec('[1]')).toMatchObject({ ok: false });
    const broken = parseExtraSpec('{a');
    expect(broken.ok === false && broken.message.startsWith('not JSON')).toBe(true);
  });
});
