import { setTimeout as sleep } from 'node:timers/promises';

import type { ChatTarget } from './chat-completions.js';
import { EvaluationError } from './evaluation-error.js';

export interface ReadinessOptions {
  /** Give up after this long (from the call). */
  deadlineMs: number;
  /** Sleep between probes. */
  pollMs: number;
  signal: AbortSignal;
  /**
   * Settles with the error to throw if the server process dies while we wait (a started
   * server); never settles for an endpoint.
   */
  died?: Promise<Error>;
}

const PROBE_TIMEOUT_MS = 5_000;

/**
 * Ready means: (a started server) GET /health answers 200 — vLLM binds its port only once the
 * model is loaded, so refused connections are the normal "still loading" — and then GET
 * /v1/models lists the model; (an endpoint) /v1/models answers and lists it. A listing without
 * the model fails at once: waiting would not add it.
 */
export async function waitUntilReady(
  target: ChatTarget,
  healthOrigin: string | null,
  options: ReadinessOptions,
): Promise<{ seconds: number }> {
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  const stopWaiting = new AbortController();
  let death: Error | undefined;
  void options.died?.then((error) => {
    death = error;
    stopWaiting.abort(error);
  });
  const signal = AbortSignal.any([options.signal, stopWaiting.signal]);
  const modelsUrl = `${target.baseUrl.replace(/\/+$/, '')}/models`;
  const headers: Record<string, string> = target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
  let lastProblem = 'no answer yet';

  const probe = async (url: string): Promise<Response | null> => {
    const timeout = Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()));
    try {
      return await fetch(url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]) });
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      lastProblem = `${url}: ${typeof cause === 'string' ? cause : (error as Error).message}`;
      return null;
    }
  };

  for (let healthy = healthOrigin === null; ;) {
    if (death !== undefined) throw death;
    if (options.signal.aborted) {
      throw new EvaluationError('cancelled', 'evaluation cancelled while the server was starting', {
        cause: options.signal.reason,
      });
    }
    if (Date.now() >= deadline) {
      const what = healthOrigin === null ? `endpoint ${target.baseUrl}` : 'inference server';
      throw new EvaluationError(
        'server-not-ready',
        `${what} was not ready within ${Math.round(options.deadlineMs / 1000)} s (last: ${lastProblem})`,
      );
    }
    if (!healthy && healthOrigin !== null) {
      const response = await probe(`${healthOrigin}/health`);
      await response?.arrayBuffer().catch(() => undefined);
      if (response?.ok) healthy = true;
      else if (response) lastProblem = `/health answered ${response.status}`;
    }
    if (healthy) {
      const response = await probe(modelsUrl);
      if (response?.ok) {
        const listed = modelIds(await response.json().catch(() => null));
        if (listed.includes(target.model)) return { seconds: (Date.now() - started) / 1000 };
        throw new EvaluationError(
          'server-not-ready',
          `${modelsUrl} does not list model ${JSON.stringify(target.model)} (it lists ${listed.map((id) => JSON.stringify(id)).join(', ') || 'none'})`,
        );
      }
      if (response) {
        await response.arrayBuffer().catch(() => undefined);
        lastProblem = `${modelsUrl} answered ${response.status}`;
        if (response.status === 401 || response.status === 403) {
          throw new EvaluationError('server-not-ready', `${lastProblem}: check the endpoint's API key`);
        }
      }
    }
    await sleep(options.pollMs, undefined, { signal }).catch(() => undefined); // woken by abort or death
  }
}

function modelIds(body: unknown): string[] {
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  return data
    .map((model) => (model as { id?: unknown } | null)?.id)
    .filter((id): id is string => typeof id === 'string');
}
