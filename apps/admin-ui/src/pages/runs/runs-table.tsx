import type { AgentView, RunView } from '../../api/types.js';
import { metric, progress } from '../../format/numbers.js';
import { age } from '../../format/time.js';
import { href, runHref } from '../../router/location.js';
import { RunActions } from '../../ui/run-actions.js';
import { runModel } from '../../ui/run-facts.js';
import { StatusBadge } from '../../ui/status-badge.js';
import type { LatestMetrics } from './use-latest-metrics.js';

interface RunsTableProps {
  runs: readonly RunView[];
  latest: ReadonlyMap<string, LatestMetrics>;
  agents: ReadonlyMap<string, AgentView>;
  now: number;
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onChanged: (run: RunView) => void;
}

function ProgressCell({ run }: { run: RunView }) {
  const text = progress(run.progressStep, run.maxSteps);
  // progressStep is the last step reported (0-based): step s of max m is s + 1 steps done.
  const done = run.progressStep === null ? 0 : run.progressStep + 1;
  return (
    <span class="progress-cell">
      {run.maxSteps !== null && (
        <progress max={run.maxSteps} value={Math.min(done, run.maxSteps)} aria-label={`step ${text}`} />
      )}
      <span data-testid="run-progress">{text}</span>
    </span>
  );
}

/** The runs list: one row per run (a card on a narrow screen). */
export function RunsTable({ runs, latest, agents, now, selected, onToggle, onChanged }: RunsTableProps) {
  return (
    <table class="data runs-table stack-on-phone" data-testid="runs-table">
      <caption class="visually-hidden">Runs, newest first</caption>
      <thead>
        <tr>
          <th scope="col">
            <span class="visually-hidden">Compare</span>
          </th>
          <th scope="col">Name</th>
          <th scope="col">Status</th>
          <th scope="col">Kind</th>
          <th scope="col">Model</th>
          <th scope="col">Step</th>
          <th scope="col">Reward</th>
          <th scope="col">ECE</th>
          <th scope="col">Agent</th>
          <th scope="col">Age</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => {
          const values = latest.get(run.id);
          const agent = run.agentId === null ? undefined : agents.get(run.agentId);
          return (
            <tr key={run.id} data-run-id={run.id} data-status={run.status}>
              <td data-label="Compare">
                <input
                  type="checkbox"
                  checked={selected.has(run.id)}
                  onChange={() => onToggle(run.id)}
                  aria-label={`Select ${run.name} to compare`}
                />
              </td>
              <th scope="row" data-label="Name">
                <a href={runHref(run.id)}>{run.name}</a>
              </th>
              <td data-label="Status">
                <StatusBadge status={run.status} />
              </td>
              <td data-label="Kind">{run.kind}</td>
              <td data-label="Model" class="model">
                {runModel(run)}
              </td>
              <td data-label="Step">
                <ProgressCell run={run} />
              </td>
              <td data-label="Reward" class="number" data-testid="run-reward">
                {metric(values?.reward?.value)}
              </td>
              <td data-label="ECE" class="number" data-testid="run-ece">
                {metric(values?.ece?.value)}
              </td>
              <td data-label="Agent">
                {run.agentId === null ? (
                  '–'
                ) : (
                  <a href={href('agents')}>{agent?.name ?? run.agentId.slice(0, 8)}</a>
                )}
              </td>
              <td data-label="Age">
                <time dateTime={run.createdAt} title={run.createdAt}>
                  {age(run.createdAt, now)}
                </time>
              </td>
              <td data-label="Actions">
                <RunActions run={run} onChanged={onChanged} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
