import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { deleteKeys, startTestApi, TEST_REDIS_URL, type TestApi } from './support/test-api.js';
import { within } from './support/runs-fixtures.js';

// The API stopping (a deploy, SIGTERM) while agents keep posting on keep-alive connections:
// http/connection-drain.ts. Before it, app.close() waited forever for connections that never went
// idle (the fault suite's API restart timed out now and then).

let api: TestApi | undefined;
let open = false;

afterEach(async () => {
  if (open) await api?.app.close();
  if (api) {
    await deleteKeys(TEST_REDIS_URL, `${api.queuePrefix}:*`);
    await api.db.drop();
  }
  api = undefined;
  open = false;
});

async function start(env: Record<string, string> = {}): Promise<TestApi> {
  api = await startTestApi(env);
  open = true;
  return api;
}

/** GET on one kept-alive connection (the agent's pattern); resolves with the answer's headers. */
function get(url: string, agent: Agent): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe('the API shutting down', () => {
  it('closes while a client keeps its keep-alive connection busy, telling it to reconnect', async () => {
    const { app, url } = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const answers: { status: number; connection: string | undefined }[] = [];
    let stop = false;
    // Back to back, as an agent streaming rollouts does: the connection is never idle for long.
    const client = (async () => {
      while (!stop) {
        try {
          const answer = await get(`${url}/health`, agent);
          answers.push({ status: answer.status, connection: answer.headers.connection });
        } catch {
          // refused once the server stops listening: what a client then retries
          await sleep(20);
        }
      }
    })();
    try {
      await sleep(300);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((answer) => answer.connection === 'keep-alive')).toBe(true);
      const before = answers.length;
      await within(app.close(), 5_000, 'app.close() with a busy keep-alive client');
      open = false;
      // Every answer given once shutdown began asked the client to close the connection (the
      // request already in flight when it began may not have).
      const during = answers.slice(before);
      expect(during.slice(1).every((answer) => answer.connection === 'close')).toBe(true);
    } finally {
      stop = true;
      await client;
      agent.destroy();
    }
  });

  it('cuts a request still in flight after SHUTDOWN_GRACE_MS', async () => {
    const { app, url } = await start({ SHUTDOWN_GRACE_MS: '300' });
    const { port } = new URL(url);
    // A request whose body never comes: the server waits for it until the grace ends.
    const socket = connect(Number(port), '127.0.0.1');
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // reset when cut: that is the point
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(
      'POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    await sleep(100);
    const started = Date.now();
    await within(app.close(), 5_000, 'app.close() with a request in flight');
    open = false;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await within(ended, 1_000, 'the cut connection to close');
  });
});
