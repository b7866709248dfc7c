import { useEffect, useMemo } from 'preact/hooks';

import { callApi } from '../../api/client.js';
import { API_ROUTES } from '../../api/routes.js';
import type { RunView } from '../../api/types.js';
import { MetricsTable } from '../../charts/metrics-table.js';
import { ReliabilityGrid } from '../../charts/reliability-grid.js';
import { rewardDips } from '../../charts/step-charts.js';
import { StepCurves } from '../../charts/step-curves.js';
import { metric } from '../../format/numbers.js';
import { useRunLive } from '../../live/use-run-live.js';
import { replaceQuery } from '../../router/use-page.js';
import { ErrorNote } from '../../ui/error-note.js';
import { useAsync } from '../../ui/use-async.js';
import { useNow } from '../../ui/use-now.js';
import { useThrottled } from '../../ui/use-throttled.js';
import { useTitle } from '../../ui/use-title.js';
import { LogsPanel } from './logs-panel.js';
import { CheckpointsPanel, Exports } from './run-files.js';
import { RunHeader } from './run-header.js';
import { AttemptsTable, EventsPanel } from './run-history.js';
import { SamplesViewer } from './samples-viewer.js';
import { StepScrubber } from './step-scrubber.js';

/** Derived reads (reliability, attempts…) follow live changes at most this often. */
const DERIVED_REFRESH_MS = 2_000;

/**
 * A run: its header, live step charts with a scrubber, reliability grid, samples, then its
 * spec, attempts, events, checkpoints, logs and exports. `?step=N` selects a step (default: the
 * latest, following the run as it trains).
 */
export function RunPage({ id, query }: { id: string; query: URLSearchParams }) {
  const { run, steps, liveSteps, error, deleted, live, setRun } = useRunLive(id);
  const now = useNow();
  useTitle(run?.name ?? 'Run');
  const agentId = run?.agentId ?? null;
  const agents = useAsync(
    (signal) => (agentId === null ? Promise.resolve([]) : callApi(API_ROUTES.agents, { signal })),
    [agentId],
  );
  const dips = useMemo(() => rewardDips(steps), [steps]);

  const asked = query.get('step');
  const askedStep = asked === null || !/^\d+$/.test(asked) ? undefined : Number(asked);
  const selected = steps.find((row) => row.step === askedStep) ?? steps.at(-1);
  const selectStep = (step: number): void => replaceQuery(`runs/${encodeURIComponent(id)}`, { step });

  const stepsVersion = useThrottled(String(liveSteps), DERIVED_REFRESH_MS);
  const runVersion = `${run?.status ?? ''}:${run?.attempt ?? ''}`;
  const checkpointVersion = useThrottled(`${runVersion}:${run?.progressStep ?? ''}`, DERIVED_REFRESH_MS);

  // Marks for the browser test's timing: the first frame with the run and its charts.
  useEffect(() => {
    if (run && steps.length > 0) performance.mark('brier:run-page-charts');
  }, [run !== undefined && steps.length > 0]);

  if (deleted) {
    return (
      <section>
        <p class="error" role="alert">
          This run was deleted.
        </p>
      </section>
    );
  }
  // The sections that need only the id start loading beside the run itself (one round trip less).
  const agent = agents.data?.find((a) => a.id === run?.agentId);
  const unknownRun = !run && error !== undefined;
  return (
    <article aria-labelledby="run-title" data-testid="run-page" data-run-id={id}>
      {run ? (
        <RunHeader run={run} live={live} agent={agent} now={now} onChanged={setRun} />
      ) : (
        !unknownRun && <p class="muted">Loading run…</p>
      )}
      <ErrorNote error={error} what={run ? 'part of the run' : 'the run'} />
      <section aria-labelledby="charts-title">
        <div class="section-head">
          <h2 id="charts-title">Over training steps</h2>
          <span class="muted" data-testid="step-count">
            {steps.length} steps
          </span>
        </div>
        {dips.length > 0 && (
          <p class="dip-note" data-testid="dip-note">
            Reward dip{dips.length > 1 ? 's' : ''}:{' '}
            {dips.map((d, i) => (
              <span key={d.from}>
                {i > 0 ? '; ' : ''}
                <button type="button" class="link-button" onClick={() => selectStep(d.lowStep)}>
                  steps {d.from === d.to ? d.from : `${d.from}–${d.to}`} (lowest {metric(d.low)} at step{' '}
                  {d.lowStep})
                </button>
              </span>
            ))}{' '}
            <span class="muted">(shaded on every chart)</span>
          </p>
        )}
        {steps.length === 0 ? (
          !unknownRun && <p class="muted">No steps yet: the charts start with the first step's rollouts.</p>
        ) : (
          <>
            <StepScrubber steps={steps} selected={selected} onSelect={selectStep} />
            <StepCurves steps={steps} dips={dips} selectedStep={selected?.step} onSelectStep={selectStep} />
            <MetricsTable steps={steps} selectedStep={selected?.step} />
          </>
        )}
      </section>
      {!unknownRun && <ReliabilityGrid runId={id} selectedStep={selected?.step} version={stepsVersion} />}
      {steps.length > 0 && selected && (
        <SamplesViewer runId={id} firstStep={steps[0]!.step} selectedStep={selected.step} />
      )}
      {run && <RunDetails run={run} runVersion={runVersion} checkpointVersion={checkpointVersion} />}
    </article>
  );
}

/** The run's spec, attempts, events, checkpoints, logs and exports (below the fold). */
function RunDetails({
  run,
  runVersion,
  checkpointVersion,
}: {
  run: RunView;
  runVersion: string;
  checkpointVersion: string;
}) {
  return (
    <>
      <details class="panel">
        <summary>
          <h2>Spec</h2>
        </summary>
        <pre class="json" data-testid="spec">
          {JSON.stringify({ resources: run.resources, spec: run.spec }, null, 2)}
        </pre>
      </details>
      <AttemptsTable runId={run.id} version={runVersion} />
      <EventsPanel runId={run.id} version={runVersion} />
      <CheckpointsPanel runId={run.id} version={checkpointVersion} />
      <LogsPanel runId={run.id} />
      <Exports runId={run.id} />
    </>
  );
}
