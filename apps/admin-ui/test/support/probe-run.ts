import { authedRequest } from '../../../api/test/support/runs-fixtures.js';

/** The API to probe, and the token it is probed with. */
export interface ProbeTarget {
  url: string;
  authHeaders: Record<string, string>;
}

/** A few scored-by-the-API rollouts of one step: answers with stated probabilities, half of them right. */
export function probeRollouts(step: number, count = 8): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const yes = i % 2 === 0;
    const percent = 50 + 5 * i;
    lines.push(
      JSON.stringify({
        step,
        sample_key: `q${i}#0`,
        example_id: `q${i}`,
        ground_truth: i % 3 !== 0,
        completion: `<think>reading the passage</think>ANSWER: ${yes ? 'YES' : 'NO'} with ${percent}% probability`,
        reward: 0.5 + i / 100,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Submits a run of the smoke-tiny preset (it stays queued: no agent runs here); returns its id. */
export async function submitProbeRun(api: ProbeTarget, name: string): Promise<string> {
  const answer = await authedRequest<{ id: string }>(api.authHeaders, `${api.url}/v1/runs`, {
    method: 'POST',
    json: { preset: 'smoke-tiny', name },
  });
  if (answer.status !== 202)
    throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

/** Ingests probeRollouts(step) into a run as one batch. */
export async function ingestProbeStep(api: ProbeTarget, runId: string, step: number): Promise<void> {
  await ingest(api, runId, `probe-${runId}-${step}`, probeRollouts(step));
}

/** Ingests `steps` steps of probeRollouts into a run as one batch (1,000 steps: 8,000 rollouts). */
export async function ingestProbeSteps(api: ProbeTarget, runId: string, steps: number): Promise<void> {
  const body = Array.from({ length: steps }, (_, step) => probeRollouts(step)).join('');
  await ingest(api, runId, `probe-${runId}-0-${steps - 1}`, body);
}

async function ingest(api: ProbeTarget, runId: string, batchId: string, body: string): Promise<void> {
  const response = await fetch(`${api.url}/v1/runs/${runId}/rollouts`, {
    method: 'POST',
    headers: { ...api.authHeaders, 'content-type': 'application/x-ndjson', 'batch-id': batchId },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  if (response.status !== 200) {
    throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
  }
}
