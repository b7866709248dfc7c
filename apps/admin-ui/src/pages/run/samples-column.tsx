import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { Sample, SampleFilter } from '../../api/types.js';
import { metric } from '../../format/numbers.js';
import { ErrorNote } from '../../ui/error-note.js';
import { useAsync } from '../../ui/use-async.js';

interface SamplesColumnProps {
  runId: string;
  step: number;
  filter: SampleFilter;
  n: number;
  seed: string;
  title: string;
}

function yesNo(label: 0 | 1): string {
  return label === 1 ? 'YES' : 'NO';
}

/** One rollout: the forecast against the label, the reward's terms, then the texts. */
function SampleCard({ sample }: { sample: Sample }) {
  const correct = sample.p_yes > 0.5 === (sample.label === 1);
  return (
    <article class="sample" data-testid="sample" data-sample-key={sample.sample_key}>
      <header>
        <span class="sample-key">{sample.example_id ?? sample.sample_key}</span>
        <span class={correct ? 'tag ok' : 'tag bad'}>{correct ? 'right' : 'wrong'}</span>
        {sample.parseable === false && <span class="tag bad">unparsed</span>}
      </header>
      <dl class="sample-facts">
        <div>
          <dt>P(YES)</dt>
          <dd data-field="p_yes">{metric(sample.p_yes, 2)}</dd>
        </div>
        <div>
          <dt>label</dt>
          <dd data-field="label">{yesNo(sample.label)}</dd>
        </div>
        <div>
          <dt>Brier</dt>
          <dd data-field="brier">{metric(sample.brier_score)}</dd>
        </div>
        <div>
          <dt>length penalty</dt>
          <dd data-field="length_penalty">{metric(sample.length_penalty)}</dd>
        </div>
        <div>
          <dt>reward</dt>
          <dd data-field="reward">{metric(sample.reward)}</dd>
        </div>
        <div>
          <dt>reward (Brier&apos;s)</dt>
          <dd data-field="reward_brier">{metric(sample.reward_brier)}</dd>
        </div>
      </dl>
      {sample.parsed_answer !== null && sample.parseable !== false && (
        <p class="parsed">
          <span class="muted">answer:</span> <code>{sample.parsed_answer}</code>
        </p>
      )}
      {sample.completion !== null && (
        <details>
          <summary>
            Completion{sample.approx_tokens === null ? '' : ` (~${Math.round(sample.approx_tokens)} tokens)`}
          </summary>
          <pre class="text">{sample.completion}</pre>
        </details>
      )}
      {sample.prompt && (
        <details>
          <summary>Prompt</summary>
          <pre class="text">{sample.prompt}</pre>
        </details>
      )}
    </article>
  );
}

/** A step's samples (GET /v1/runs/{id}/samples): n of them, by filter and seed. */
export function SamplesColumn({ runId, step, filter, n, seed, title }: SamplesColumnProps) {
  const samples = useAsync(
    (signal) =>
      callApi(API_ROUTES.samples, { params: { id: runId }, query: { step, filter, n, seed }, signal }),
    [runId, step, filter, n, seed],
  );
  const items = samples.data?.items ?? [];
  return (
    <div class="samples-column" data-testid="samples-column" data-step={step}>
      <h3>{title}</h3>
      <ErrorNote error={samples.error} what={`the samples of step ${step}`} />
      {samples.loading && items.length === 0 && <p class="muted">Loading…</p>}
      {!samples.loading && items.length === 0 && !samples.error && <p class="muted">No rollouts match.</p>}
      {items.map((sample) => (
        <SampleCard key={`${sample.attempt}:${sample.sample_key}`} sample={sample} />
      ))}
    </div>
  );
}
