import { setTimeout as sleep } from 'node:timers/promises';

/** An OpenAI-compatible server and the model name it answers to. */
export interface ChatTarget {
  /** Base URL ending in /v1 (…/v1/chat/completions is derived from it). */
  baseUrl: string;
  model: string;
  /** Bearer token; never logged, never part of an error message. */
  apiKey?: string;
}

export interface SamplingParams {
  maxTokens: number;
  temperature: number;
}

/** Per HTTP request: a timeout, and bounded retries with doubling delays for transient failures. */
export interface RequestPolicy {
  timeoutMs: number;
  /** Tries per request, the first included. */
  attempts: number;
  /** Delay before the first retry; doubled before each further one. */
  retryDelayMs: number;
}

export type ChatMessage = { role: 'user' | 'assistant' | 'system'; content: string };

/** A request that failed for good (after its retries, or at once when retrying cannot help). */
export class ChatRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null for a network failure or timeout. */
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'ChatRequestError';
  }
}

const ERROR_BODY_CHARS = 300;

/** 5xx, 408 and 429 may pass; other 4xx (bad request, unknown model) will not. */
function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
}

/** A message's text: a string, null (the env's `or ""`), or OpenAI content parts. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : ''))
      .map((text) => (typeof text === 'string' ? text : ''))
      .join('');
  }
  return '';
}

function choiceTexts(body: unknown): string[] {
  const choices = (body as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) throw new ChatRequestError('the response has no choices array', 200, false);
  return choices.map((choice) =>
    contentText((choice as { message?: { content?: unknown } } | null)?.message?.content),
  );
}

/** One POST, within timeoutMs (and the caller's signal). */
async function postOnce(target: ChatTarget, body: object, timeoutMs: number, signal: AbortSignal) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey !== undefined) headers['authorization'] = `Bearer ${target.apiKey}`;
  let response: Response;
  try {
    response = await fetch(chatCompletionsUrl(target.baseUrl), {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    if (!response.ok) {
      const text = (await response.text()).slice(0, ERROR_BODY_CHARS);
      throw new ChatRequestError(
        `HTTP ${response.status}: ${text}`,
        response.status,
        retryableStatus(response.status),
      );
    }
    return choiceTexts(await response.json());
  } catch (error) {
    if (error instanceof ChatRequestError || signal.aborted) throw error;
    const name = (error as Error).name;
    const reason = name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message;
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    throw new ChatRequestError(`${reason}${typeof cause === 'string' ? ` (${cause})` : ''}`, null, true);
  }
}

/** One logical request with its retries; the caller's abort ends it at once, rethrowing the abort. */
async function post(
  target: ChatTarget,
  body: object,
  policy: RequestPolicy,
  signal: AbortSignal,
): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await postOnce(target, body, policy.timeoutMs, signal);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const failure = error as ChatRequestError;
      if (!failure.retryable || attempt >= policy.attempts) {
        failure.message = `${failure.message} (attempt ${attempt} of ${policy.attempts})`;
        throw failure;
      }
      await sleep(policy.retryDelayMs * 2 ** (attempt - 1), undefined, { signal });
    }
  }
}

/**
 * k completions of one prompt: one request with `n: k`, then, if the server returned fewer
 * choices (some servers cap or ignore n), one request per missing sample. Extra choices are
 * dropped. Completions are in choice order, which is the sample order of the records.
 */
export async function requestSamples(
  target: ChatTarget,
  messages: ChatMessage[],
  k: number,
  sampling: SamplingParams,
  policy: RequestPolicy,
  signal: AbortSignal,
): Promise<string[]> {
  const body = (n: number) => ({
    model: target.model,
    messages,
    n,
    max_tokens: sampling.maxTokens,
    temperature: sampling.temperature,
  });
  const samples = (await post(target, body(k), policy, signal)).slice(0, k);
  while (samples.length < k) {
    const more = await post(target, body(1), policy, signal);
    if (more.length === 0) throw new ChatRequestError('the server returned no choices', 200, false);
    samples.push(more[0]!);
  }
  return samples;
}
