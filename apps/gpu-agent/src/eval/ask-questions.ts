import type { EvalSpecDto } from '@brier/contracts';
import pLimit from 'p-limit';

import { requestSamples, type ChatTarget, type RequestPolicy } from './chat-completions.js';
import type { EvalRecordSink } from './eval-ports.js';
import type { EvalQuestion } from './eval-questions.js';
import { buildEvalRecord } from './eval-record.js';
import { EvaluationError } from './evaluation-error.js';
import { InOrderRelease } from './in-order-release.js';

/**
 * The share of questions that may stay unanswered after retries (a server hiccup) before the
 * evaluation as a whole is failed: more means its numbers would describe a different question set.
 */
export const MAX_FAILED_SHARE = 0.02;

export interface AskQuestionsOptions {
  spec: Pick<
    EvalSpecDto,
    'samplesPerQuestion' | 'maxTokens' | 'temperature' | 'concurrency' | 'reward' | 'promptTemplate'
  >;
  target: ChatTarget;
  policy: RequestPolicy;
  sink: EvalRecordSink;
  signal: AbortSignal;
  /** Settles with the error to fail with when the server dies mid-way; absent for an endpoint. */
  died?: Promise<Error>;
  log: (line: string) => void;
}

export interface AskQuestionsResult {
  rollouts: number;
  failedRequests: number;
}

/**
 * Ask every question k times, `spec.concurrency` questions in flight, and push one record per
 * completion to the sink in question order then sample order (indices 0, 1, 2, … without gaps,
 * whatever order the answers arrive in). Cancellation, the server's death or too many failed
 * questions abort the requests in flight at once and reject with an EvaluationError.
 */
export async function askQuestions(
  questions: readonly EvalQuestion[],
  options: AskQuestionsOptions,
): Promise<AskQuestionsResult> {
  const { spec, sink, signal, log } = options;
  const k = spec.samplesPerQuestion;
  const allowedFailures = Math.floor(questions.length * MAX_FAILED_SHARE);
  const work = new AbortController();
  const stop = (error: Error): void => {
    if (!work.signal.aborted) work.abort(error);
  };
  const onCancel = (): void =>
    stop(new EvaluationError('cancelled', 'evaluation cancelled', { cause: signal.reason }));
  if (signal.aborted) onCancel();
  else signal.addEventListener('abort', onCancel, { once: true });
  void options.died?.then(stop);

  let rollouts = 0;
  let failedRequests = 0;
  const release = new InOrderRelease<string[]>(questions.length, (position, completions) => {
    for (const completion of completions) {
      const record = buildEvalRecord({
        question: questions[position]!,
        completion,
        index: rollouts,
        promptTemplate: spec.promptTemplate,
        reward: spec.reward,
      });
      sink.push(JSON.stringify(record));
      rollouts += 1;
    }
  });
  const progressEvery = Math.max(1, Math.ceil(questions.length / 10));
  let progressLogged = 0;
  const sampling = { maxTokens: spec.maxTokens, temperature: spec.temperature };

  const ask = async (question: EvalQuestion, position: number): Promise<void> => {
    if (work.signal.aborted) return; // queued behind the limit when the evaluation ended
    let completions: string[] | null = null;
    try {
      const messages = [{ role: 'user' as const, content: question.userMessage }];
      completions = await requestSamples(options.target, messages, k, sampling, options.policy, work.signal);
    } catch (error) {
      if (work.signal.aborted) return; // the reason is thrown below
      failedRequests += 1;
      const message = (error as Error).message;
      log(`eval: question ${position} (${question.exampleId}) got no answer: ${message}`);
      if (failedRequests > allowedFailures) {
        stop(
          new EvaluationError(
            'too-many-failures',
            `${failedRequests} of ${questions.length} questions got no answer after retries ` +
              `(at most ${allowedFailures} may); last: ${message}`,
          ),
        );
        return;
      }
    }
    try {
      release.settle(position, completions);
    } catch (error) {
      stop(error as Error); // the sink refused a record: nothing after it may be numbered
      return;
    }
    if (Math.floor(release.settled / progressEvery) > progressLogged || release.done) {
      progressLogged = Math.floor(release.settled / progressEvery);
      log(
        `eval: ${release.settled}/${questions.length} questions, ${rollouts} rollouts, ${failedRequests} failed`,
      );
    }
  };

  try {
    await pLimit(spec.concurrency).map(questions, ask);
  } finally {
    signal.removeEventListener('abort', onCancel);
  }
  if (work.signal.aborted) throw work.signal.reason as Error;
  return { rollouts, failedRequests };
}
