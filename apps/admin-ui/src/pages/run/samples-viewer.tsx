import { useState } from 'preact/hooks';

import { SAMPLE_FILTERS, type SampleFilter } from '../../api/types.js';
import { SamplesColumn } from './samples-column.js';

const FILTER_TEXT: Record<SampleFilter, string> = {
  random: 'random',
  parse_failures: 'parse failures',
  confident_errors: 'confident errors',
};

interface SamplesViewerProps {
  runId: string;
  firstStep: number;
  selectedStep: number;
}

/**
 * Completions of the first step beside those of the selected one (the seed's cot_samples.txt,
 * live): the same filter and seed on both sides; "Other samples" draws the next seeded sample.
 */
export function SamplesViewer({ runId, firstStep, selectedStep }: SamplesViewerProps) {
  const [filter, setFilter] = useState<SampleFilter>('random');
  const [n, setN] = useState(5);
  const [seed, setSeed] = useState(0);
  const sameStep = firstStep === selectedStep;
  return (
    <section aria-labelledby="samples-title">
      <div class="section-head">
        <h2 id="samples-title">Samples</h2>
        <label>
          Show{' '}
          <select
            value={filter}
            data-testid="sample-filter"
            onChange={(e) => setFilter(e.currentTarget.value as SampleFilter)}
          >
            {SAMPLE_FILTERS.map((name) => (
              <option key={name} value={name}>
                {FILTER_TEXT[name]}
              </option>
            ))}
          </select>
        </label>
        <label>
          How many{' '}
          <select value={n} onChange={(e) => setN(Number(e.currentTarget.value))}>
            {[3, 5, 10, 20].map((count) => (
              <option key={count} value={count}>
                {count}
              </option>
            ))}
          </select>
        </label>
        {filter === 'random' && (
          <button type="button" onClick={() => setSeed((s) => s + 1)}>
            Other samples
          </button>
        )}
      </div>
      <div class={sameStep ? 'samples' : 'samples two'}>
        {!sameStep && (
          <SamplesColumn
            runId={runId}
            step={firstStep}
            filter={filter}
            n={n}
            seed={String(seed)}
            title={`First step (${firstStep})`}
          />
        )}
        <SamplesColumn
          runId={runId}
          step={selectedStep}
          filter={filter}
          n={n}
          seed={String(seed)}
          title={`Step ${selectedStep}${sameStep ? '' : ' (selected)'}`}
        />
      </div>
    </section>
  );
}
