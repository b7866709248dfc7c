import type { StepMetrics } from '../../api/types.js';
import { metric, percent } from '../../format/numbers.js';

interface StepScrubberProps {
  steps: readonly StepMetrics[];
  selected: StepMetrics | undefined;
  onSelect: (step: number) => void;
}

/**
 * A slider over the run's steps (arrow keys move one step, Page Up/Down ten) and the selected
 * step's numbers. The slider moves by position, so steps with no rollouts are skipped.
 */
export function StepScrubber({ steps, selected, onSelect }: StepScrubberProps) {
  if (steps.length === 0 || !selected) return null;
  const index = Math.max(
    0,
    steps.findIndex((row) => row.step === selected.step),
  );
  return (
    <div class="scrubber" data-testid="step-scrubber">
      <label>
        <span>
          Step <strong data-testid="selected-step">{selected.step}</strong>
        </span>
        <input
          type="range"
          min={0}
          max={steps.length - 1}
          step={1}
          value={index}
          aria-valuetext={`step ${selected.step}`}
          onInput={(e) => {
            const row = steps[Number(e.currentTarget.value)];
            if (row) onSelect(row.step);
          }}
        />
      </label>
      <dl class="readout" data-testid="step-readout">
        <div>
          <dt>reward</dt>
          <dd data-metric="reward">{metric(selected.reward)}</dd>
        </div>
        <div>
          <dt>1 − Brier</dt>
          <dd data-metric="one_minus_brier">{metric(1 - selected.brier)}</dd>
        </div>
        <div>
          <dt>Brier</dt>
          <dd data-metric="brier">{metric(selected.brier)}</dd>
        </div>
        <div>
          <dt>ECE</dt>
          <dd data-metric="ece">{metric(selected.ece)}</dd>
        </div>
        <div>
          <dt>accuracy</dt>
          <dd data-metric="accuracy">{metric(selected.accuracy)}</dd>
        </div>
        <div>
          <dt>parse rate</dt>
          <dd data-metric="parse_rate">{percent(selected.parse_rate)}</dd>
        </div>
        <div>
          <dt>rollouts</dt>
          <dd data-metric="n">{selected.n}</dd>
        </div>
      </dl>
    </div>
  );
}
