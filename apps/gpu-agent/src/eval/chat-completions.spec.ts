import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { ChatRequestError, requestSamples, type ChatTarget, type RequestPolicy } from './chat-completions.js';

// A real HTTP server on a local port whose answers each test scripts: the client is exercised
// over the network stack, not against a mocked fetch.
type Reply = (body: Record<string, unknown>, request: IncomingMessage, response: ServerResponse) => void;

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of servers.splice(0)) await close();
});

async function serve(reply: Reply): Promise<{
  target: ChatTarget;
  bodies: Array<Record<string, unknown>>;
  headers: IncomingMessage['headers'][];
}> {
  const bodies: Array<Record<string, unknown>> = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    request.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      headers.push(request.headers);
      reply(body, request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { target: { baseUrl: `http://127.0.0.1:${port}/v1/`, model: 'm' }, bodies, headers };
}

function choices(response: ServerResponse, texts: Array<string | null>): void {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      choices: texts.map((content, index) => ({ index, message: { role: 'assistant', content } })),
    }),
  );
}

function status(response: ServerResponse, code: number): void {
  response.writeHead(code, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error: { message: `scripted ${code}`, code } }));
}

const policy: RequestPolicy = { timeoutMs: 2_000, attempts: 3, retryDelayMs: 10 };
const sampling = { maxTokens: 64, temperature: 0.7 };
const user = [{ role: 'user' as const, content: 'Question: is it?' }];
const never = new AbortController().signal;

describe('requestSamples', () => {
  it('asks for k samples in one request, OpenAI-shaped, with the bearer token when given', async () => {
    const { target, bodies, headers } = await serve((body, _req, res) =>
      choices(
        res,
        Array.from({ length: body['n'] as number }, (_, i) => `answer ${i}`),
      ),
    );
    const texts = await requestSamples({ ...target, apiKey: 'sk-test' }, user, 3, sampling, policy, never);
    expect(texts).toEqual(['answer 0', 'answer 1', 'answer 2']);
    expect(bodies).toEqual([{ model: 'm', messages: user, n: 3, max_tokens: 64, temperature: 0.7 }]);
    expect(headers[0]!['authorization']).toBe('Bearer sk-test');
  });

  it('falls back to one request per missing sample when the server returns fewer choices', async () => {
    let call = 0;
    const { target, bodies } = await serve((_body, _req, res) => {
      call += 1;
      choices(res, call === 1 ? ['first', null] : [`extra ${call}`]);
    });
    const texts = await requestSamples(target, user, 4, sampling, policy, never);
    expect(texts).toEqual(['first', '', 'extra 2', 'extra 3']);
    expect(bodies.map((body) => body['n'])).toEqual([4, 1, 1]);
  });

  it('retries 5xx with a delay and succeeds; gives up after the last attempt with the status', async () => {
    let call = 0;
    const flaky = await serve((_body, _req, res) => (++call < 3 ? status(res, 503) : choices(res, ['ok'])));
    expect(await requestSamples(flaky.target, user, 1, sampling, policy, never)).toEqual(['ok']);
    expect(flaky.bodies).toHaveLength(3);

    const broken = await serve((_body, _req, res) => status(res, 500));
    const failure = await requestSamples(broken.target, user, 1, sampling, policy, never).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(ChatRequestError);
    expect((failure as ChatRequestError).status).toBe(500);
    expect((failure as ChatRequestError).message).toMatch(/HTTP 500.*attempt 3 of 3/s);
    expect(broken.bodies).toHaveLength(3);
  });

  it('does not retry a request the server refuses (4xx)', async () => {
    const { target, bodies } = await serve((_body, _req, res) => status(res, 404));
    await expect(requestSamples(target, user, 2, sampling, policy, never)).rejects.toMatchObject({
      status: 404,
      retryable: false,
    });
    expect(bodies).toHaveLength(1);
  });

  it('times a silent server out per attempt', async () => {
    const { target, bodies } = await serve(() => undefined); // never answers
    const started = Date.now();
    await expect(
      requestSamples(target, user, 1, sampling, { timeoutMs: 150, attempts: 2, retryDelayMs: 10 }, never),
    ).rejects.toThrow(/no answer within 150 ms.*attempt 2 of 2/s);
    expect(bodies).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stops at once when aborted, with the abort reason', async () => {
    const { target } = await serve(() => undefined);
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    await expect(
      requestSamples(target, user, 1, sampling, { ...policy, timeoutMs: 10_000 }, controller.signal),
    ).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
