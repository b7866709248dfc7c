import { InvalidCursorError } from '@brier/database';
import { UnknownPresetError } from '@brier/contracts';
import { ConflictException, Logger, type ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { TypeORMError } from 'typeorm';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { QueueUnavailableError } from '../queue/queue-unavailable.error.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { apiError } from './api-error.js';

interface Reply {
  status?: number;
  body?: unknown;
  headers: Record<string, string>;
}

function answer(exception: unknown): Reply {
  const reply: Reply = { headers: {} };
  const adapter = {
    isHeadersSent: () => false,
    end: () => undefined,
    setHeader: (_res: unknown, name: string, value: string) => {
      reply.headers[name] = value;
    },
    reply: (_res: unknown, body: unknown, status: number) => {
      reply.status = status;
      reply.body = body;
    },
  };
  const host = {
    switchToHttp: () => ({
      getResponse: () => ({}),
      getRequest: () => ({ method: 'POST', url: '/v1/runs' }),
    }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter({ httpAdapter: adapter } as unknown as HttpAdapterHost).catch(exception, host);
  return reply;
}

beforeAll(() => {
  vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
});

describe('ApiExceptionFilter', () => {
  it('keeps an HttpException, details included', () => {
    expect(answer(apiError(409, 'run is succeeded', { status: 'succeeded' }))).toMatchObject({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'run is succeeded', status: 'succeeded' },
    });
    expect(answer(new ConflictException('plain'))).toMatchObject({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'plain' },
    });
  });

  it('maps unknown presets and malformed cursors to 400 with a field', () => {
    expect(answer(new UnknownPresetError('nope', ['seed']))).toMatchObject({
      status: 400,
      body: { message: [{ path: 'preset', message: expect.stringMatching(/nope/) as unknown }] },
    });
    expect(answer(new InvalidCursorError('x'))).toMatchObject({
      status: 400,
      body: { message: [{ path: 'cursor', message: expect.any(String) as unknown }] },
    });
  });

  it('maps an unavailable Redis or Postgres to 503 with Retry-After', () => {
    for (const error of [
      new QueueUnavailableError('add', new Error('Connection is closed.')),
      new TypeORMError('Driver not Connected'),
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ]) {
      const reply = answer(error);
      expect(reply.status, error.message).toBe(503);
      expect(reply.headers['Retry-After']).toBe('5');
    }
  });

  it('answers anything else 500 without its message or stack', () => {
    const reply = answer(new Error('secret detail at /srv/app.js:12'));
    expect(reply).toMatchObject({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'internal server error' },
    });
    expect(JSON.stringify(reply.body)).not.toMatch(/secret|app\.js/);
  });
});
