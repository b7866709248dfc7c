import type { AgentView, RunView } from '../../api/types.js';
import { progress } from '../../format/numbers.js';
import { age, dateTime } from '../../format/time.js';
import type { LiveConnection } from '../../live/use-live-stream.js';
import { href } from '../../router/location.js';
import { LiveBadge } from '../../ui/live-badge.js';
import { RunActions } from '../../ui/run-actions.js';
import { runModel } from '../../ui/run-facts.js';
import { StatusBadge } from '../../ui/status-badge.js';

interface RunHeaderProps {
  run: RunView;
  live: LiveConnection;
  agent: AgentView | undefined;
  now: number;
  onChanged: (run: RunView) => void;
}

/** Who the run is and where it stands: status, progress, agent, times; cancel and retry. */
export function RunHeader({ run, live, agent, now, onChanged }: RunHeaderProps) {
  const done = run.progressStep === null ? 0 : run.progressStep + 1;
  return (
    <header class="run-header">
      <div class="page-head">
        <h1 id="run-title">{run.name}</h1>
        <StatusBadge status={run.status} />
        <LiveBadge live={live} what="run" />
        <span class="spacer" />
        <RunActions run={run} onChanged={onChanged} compact />
        <a class="button" href={href('compare', { runs: run.id })}>
          Compare…
        </a>
      </div>
      {run.description && <p class="description">{run.description}</p>}
      <dl class="facts">
        <div>
          <dt>kind</dt>
          <dd>{run.kind}</dd>
        </div>
        <div>
          <dt>model</dt>
          <dd class="model">{runModel(run)}</dd>
        </div>
        <div>
          <dt>preset</dt>
          <dd>{run.preset ?? '–'}</dd>
        </div>
        <div>
          <dt>step</dt>
          <dd>
            {run.maxSteps !== null && (
              <progress max={run.maxSteps} value={Math.min(done, run.maxSteps)} aria-hidden="true" />
            )}{' '}
            <span data-testid="run-progress">{progress(run.progressStep, run.maxSteps)}</span>
          </dd>
        </div>
        <div>
          <dt>attempt</dt>
          <dd>{run.attempt}</dd>
        </div>
        <div>
          <dt>agent</dt>
          <dd>
            {run.agentId === null ? (
              '–'
            ) : (
              <a href={href('agents')}>{agent?.name ?? run.agentId.slice(0, 8)}</a>
            )}
          </dd>
        </div>
        <div>
          <dt>GPUs</dt>
          <dd>
            {run.resources.gpuCount}
            {run.resources.gpuType ? ` × ${run.resources.gpuType}` : ''}
          </dd>
        </div>
        <div>
          <dt>submitted</dt>
          <dd title={dateTime(run.createdAt)}>{age(run.createdAt, now)}</dd>
        </div>
        <div>
          <dt>started</dt>
          <dd>{dateTime(run.startedAt)}</dd>
        </div>
        <div>
          <dt>finished</dt>
          <dd>{dateTime(run.finishedAt)}</dd>
        </div>
        {run.heartbeatAt !== null && run.status === 'running' && (
          <div>
            <dt>heartbeat</dt>
            <dd>{age(run.heartbeatAt, now)}</dd>
          </div>
        )}
      </dl>
      {run.error !== null && run.error !== undefined && (
        <pre class="error-box" role="note">
          {JSON.stringify(run.error, null, 2)}
        </pre>
      )}
    </header>
  );
}
