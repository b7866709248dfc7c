import 'reflect-metadata';

import {
  BadRequestException,
  Body,
  Controller,
  Module,
  Post,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  flattenValidationErrors,
  RUN_REQUEST_PIPE_OPTIONS,
  validateRunRequest,
} from '../validate-run-request.js';
import { CreateRunDto } from './create-run.dto.js';

@Controller('v1/runs')
class RunsController {
  @Post()
  create(@Body() body: CreateRunDto): CreateRunDto {
    return body;
  }
}

@Module({ controllers: [RunsController] })
class TestModule {}

type Schema = { properties: Record<string, Record<string, unknown>>; required?: string[] };

describe('CreateRunDto in the API', () => {
  let document: OpenAPIObject;

  beforeAll(async () => {
    const app = await NestFactory.create(TestModule, { logger: false });
    document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Brier').build());
    await app.close();
  });

  const schema = (name: string): Schema => document.components?.schemas?.[name] as Schema;

  it('is described in the OpenAPI document, spec as one of the three kinds', () => {
    const create = schema('CreateRunDto');
    expect(create.required).toEqual(expect.arrayContaining(['kind', 'name', 'resources', 'spec']));
    expect(create.properties['kind']).toMatchObject({ enum: ['train', 'eval', 'import'] });
    expect(create.properties['spec']?.['oneOf']).toEqual([
      { $ref: '#/components/schemas/TrainSpecDto' },
      { $ref: '#/components/schemas/EvalSpecDto' },
      { $ref: '#/components/schemas/ImportSpecDto' },
    ]);
    expect(create.properties['resources']).toEqual({ $ref: '#/components/schemas/ResourcesDto' });
  });

  it('marks as required only what has no default', () => {
    const required = (name: string) => schema(name).required ?? [];
    expect(required('CreateRunDto').sort()).toEqual(['kind', 'name', 'resources', 'spec']);
    expect(required('ResourcesDto')).toEqual(['gpuCount']);
    expect(required('TrainSpecDto')).toEqual(['model']);
    expect(required('EvalSpecDto')).toEqual(['target']);
    expect(required('EvalTargetDto')).toEqual([]);
    expect(required('CheckpointRefDto')).toEqual(['runId', 'step']);
    expect(required('EndpointDto')).toEqual(['baseUrl', 'model']);
    expect(required('ImportSpecDto')).toEqual([]);
    for (const name of ['TrainDatasetDto', 'EvalDatasetDto', 'RewardDto', 'PrimeRlDto'])
      expect(required(name)).toEqual([]);
  });

  it('documents bounds and defaults of the spec fields', () => {
    expect(schema('TrainSpecDto').properties['batchSize']).toMatchObject({
      minimum: 1,
      maximum: 65536,
      default: 1024,
    });
    expect(schema('TrainSpecDto').properties['maxSteps']).toMatchObject({
      minimum: 1,
      maximum: 100000,
      default: 50,
    });
    expect(schema('TrainSpecDto').properties['dataset']).toEqual({
      $ref: '#/components/schemas/TrainDatasetDto',
    });
    expect(schema('TrainSpecDto').properties['primeRl']).toEqual({ $ref: '#/components/schemas/PrimeRlDto' });
    expect(schema('PrimeRlDto').properties['version']).toMatchObject({
      enum: ['v0.4.0', 'v0.6.0', 'main-559b447'],
    });
    expect(schema('EvalSpecDto').properties['samplesPerQuestion']).toMatchObject({ minimum: 1, maximum: 64 });
    expect(schema('EvalTargetDto').properties['checkpoint']).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/CheckpointRefDto' }],
    });
    expect(schema('TrainDatasetDto').properties['path']).toMatchObject({ type: 'string', deprecated: true });
    expect(schema('ImportSpecDto').properties['source']).toMatchObject({
      enum: ['upload'],
      default: 'upload',
    });
    expect(schema('ResourcesDto').properties['gpuCount']).toMatchObject({ minimum: 0, maximum: 16 });
    expect(schema('RewardDto').properties['highFraction']).toMatchObject({ default: 0.8 });
  });
});

describe("Nest's ValidationPipe with RUN_REQUEST_PIPE_OPTIONS", () => {
  const pipe = new ValidationPipe({
    ...RUN_REQUEST_PIPE_OPTIONS,
    exceptionFactory: (errors: ValidationError[]) =>
      new BadRequestException({ errors: flattenValidationErrors(errors) }),
  });

  async function throughPipe(body: unknown): Promise<unknown> {
    try {
      const value: unknown = await pipe.transform(body, { type: 'body', metatype: CreateRunDto });
      return { ok: true, value: JSON.parse(JSON.stringify(value)) as unknown };
    } catch (error) {
      if (!(error instanceof BadRequestException)) throw error;
      return { ok: false, ...(error.getResponse() as object) };
    }
  }

  function direct(body: unknown): unknown {
    const result = validateRunRequest(body);
    return result.ok ? { ok: true, value: JSON.parse(JSON.stringify(result.value)) as unknown } : result;
  }

  it.each<[string, unknown]>([
    ['a minimal train run', { kind: 'train', name: 'x', resources: { gpuCount: 1 }, spec: { model: 'a/b' } }],
    [
      'an eval of an endpoint',
      {
        kind: 'eval',
        name: 'x',
        resources: { gpuCount: 0 },
        spec: { target: { endpoint: { baseUrl: 'http://h:8000/v1', model: 'm' } } },
      },
    ],
    ['an import', { kind: 'import', name: 'x', resources: { gpuCount: 0 }, spec: { origin: 'seed' } }],
    [
      'unknown fields',
      {
        kind: 'train',
        name: 'x',
        extra: 1,
        resources: { gpuCount: 1 },
        spec: { model: 'a/b', foo: 1, dataset: { bar: 2 } },
      },
    ],
    [
      'wrong types',
      { kind: 'train', name: 'x', resources: { gpuCount: '1' }, spec: { model: 'a/b', maxSteps: '50' } },
    ],
    [
      'bad sizes',
      {
        kind: 'train',
        name: 'x\n',
        resources: { gpuCount: 0 },
        spec: { model: 'a/b', batchSize: 100, maxSteps: 1e9 },
      },
    ],
    [
      'a bad endpoint',
      {
        kind: 'eval',
        name: 'x',
        resources: { gpuCount: 0 },
        spec: { target: { endpoint: { baseUrl: 'http://u:p@h/v1', model: 'm' } } },
      },
    ],
  ])('agrees with validateRunRequest on %s', async (_what, body) => {
    expect(await throughPipe(body)).toEqual(direct(body));
  });
});
