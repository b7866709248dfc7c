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

  it("sends the host's key to the origin it was given for, and nowhere else", () => {
    const key = { origin: 'https://api.example.com', apiKey: 'sk-test' };
    const ask = (baseUrl: string) => evalModelFor({ endpoint: { baseUrl, model: 'm' } }, weights, key);
    expect(ask('https://api.example.com/v1')).toMatchObject({ apiKey: 'sk-test' });
    for (const elsewhere of [
      'http://api.example.com/v1',
      'https://api.example.com:8443/v1',
      'https://api.example.com.evil.test/v1',
      'https://evil.test/https://api.example.com/v1',
    ]) {
      expect(ask(elsewhere)).not.toHaveProperty('apiKey');
    }
    expect(
      evalModelFor({ endpoint: { baseUrl: 'https://api.example.com/v1', model: 'm' } }, weights),
    ).not.toHaveProperty('apiKey');
  });

  it('refuses an empty target', () => {
    expect(() => evalModelFor({}, weights)).toThrow(/model, a checkpoint or an endpoint/);
  });
});
