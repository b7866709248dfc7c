import { useState } from 'preact/hooks';

import type { StepMetrics } from '../api/types.js';
import { metric, percent } from '../format/numbers.js';

interface MetricsTableProps {
  steps: readonly StepMetrics[];
  selectedStep: number | undefined;
}

/**
 * The charts' numbers as a table (for screen readers, for copying, for exact values), drawn only
 * while open: a 1,000-step run costs nothing until someone asks.
 */
export function MetricsTable({ steps, selectedStep }: MetricsTableProps) {
  const [open, setOpen] = useState(false);
  return (
    <details class="table-alternative" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Per-step metrics as a table ({steps.length} steps)</summary>
      {open && (
        <div class="table-scroll">
          <table class="data" data-testid="metrics-table">
            <caption class="visually-hidden">Per-step calibration metrics</caption>
            <thead>
              <tr>
                <th scope="col">step</th>
                <th scope="col">n</th>
                <th scope="col">reward</th>
                <th scope="col">1 − Brier</th>
                <th scope="col">prime-rl reward</th>
                <th scope="col">Brier</th>
                <th scope="col">ECE</th>
                <th scope="col">ECE top-label</th>
                <th scope="col">MCE</th>
                <th scope="col">accuracy</th>
                <th scope="col">parse rate</th>
                <th scope="col">penalised</th>
                <th scope="col">mean length</th>
              </tr>
            </thead>
            <tbody>
              {steps.map((row) => (
                <tr key={row.step} class={row.step === selectedStep ? 'selected' : undefined}>
                  <th scope="row">{row.step}</th>
                  <td>{row.n}</td>
                  <td>{metric(row.reward)}</td>
                  <td>{metric(1 - row.brier)}</td>
                  <td>{metric(row.orchestrator_reward)}</td>
                  <td>{metric(row.brier)}</td>
                  <td>{metric(row.ece)}</td>
                  <td>{metric(row.ece_top_label)}</td>
                  <td>{metric(row.mce)}</td>
                  <td>{metric(row.accuracy)}</td>
                  <td>{percent(row.parse_rate)}</td>
                  <td>{percent(row.penalized_share)}</td>
                  <td>{metric(row.mean_length ?? row.orchestrator_seq_len, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </details>
  );
}
