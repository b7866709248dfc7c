import { describe, expect, it } from 'vitest';

import { evalModelFor } from './eval-model.js';

const weights = ({ runId, step }: { runId: string; step: number }) =>
  `/runs/${runId}/rl/weights/step_${step}`;

describe('evalModelFor', () => {
  it('serves a model id as it is', () => {
    expect(evalModelFor({ model: 'google/gemma-2-2b-it' }, weights)).toEqual({
      kind: 'serve',
      modelNameOrPath: 'google/gemma-2-2b-it',
    });
  });

  it("serves a checkpoint from its training run's HF weights", () => {
    expect(evalModelFor({ checkpoint: { runId: 'r1', step: 20 } }, weights)).toEqual({
      kind: 'serve',
      modelNameOrPath: '/runs/r1/rl/weights/step_20',
    });
  });

  it('asks an endpoint directly', () => {
    const endpoint = { baseUrl: 'http://10.0.0.5:8000/v1', model: 'm' };
    expect(evalModelFor({ endpoint }, weights)).toEqual({ kind: 'endpoint', ...endpoint });
  });

  it('refuses an empty target', () => {
    expect(() => evalModelFor({}, weights)).toThrow(/model, a checkpoint or an endpoint/);
  });
});
