import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';

import type { CompareView } from '../api/types.js';
import { SERIES_COLORS } from './palette.js';
import { PlotFigure } from './plot-figure.js';

interface ComparePoint {
  step: number;
  run: string;
  value: number;
}

/** Legend names: a run's name, with its id's start when two runs share a name. */
export function runLabels(view: CompareView): Map<string, string> {
  const counts = new Map<string, number>();
  for (const run of view.runs) counts.set(run.name, (counts.get(run.name) ?? 0) + 1);
  return new Map(
    view.runs.map((run) => [
      run.id,
      (counts.get(run.name) ?? 0) > 1 ? `${run.name} (${run.id.slice(0, 8)})` : run.name,
    ]),
  );
}

export function comparePoints(view: CompareView, labels: Map<string, string>): ComparePoint[] {
  const points: ComparePoint[] = [];
  for (const { step, values } of view.steps) {
    for (const run of view.runs) {
      const value = values[run.id];
      if (value !== null && value !== undefined)
        points.push({ step, run: labels.get(run.id) ?? run.id, value });
    }
  }
  return points;
}

/** One metric of several runs over steps, one line per run, a shared legend. */
export function CompareChart({ view, title }: { view: CompareView; title: string }) {
  const options = useMemo((): Plot.PlotOptions => {
    const labels = runLabels(view);
    const points = comparePoints(view, labels);
    const dots = view.steps.length <= 150;
    return {
      height: 240,
      marginLeft: 50,
      ariaLabel: `${title}: ${view.runs.length} runs over training steps`,
      ariaDescription: view.runs
        .map((run) => {
          const own = points.filter((p) => p.run === labels.get(run.id));
          const last = own.at(-1);
          return `${labels.get(run.id)}: ${own.length} steps${last ? `, last ${last.value.toFixed(4)} at step ${last.step}` : ''}`;
        })
        .join('; '),
      x: { label: 'step', tickFormat: 'd' },
      y: { grid: true, label: null },
      color: { legend: true, domain: [...labels.values()], range: [...SERIES_COLORS] },
      marks: [
        Plot.lineY(points, { x: 'step', y: 'value', stroke: 'run', strokeWidth: 1.6 }),
        ...(dots ? [Plot.dot(points, { x: 'step', y: 'value', fill: 'run', r: 1.8 })] : []),
        Plot.tip(
          points,
          Plot.pointerX({
            x: 'step',
            y: 'value',
            stroke: 'run',
            title: (p: ComparePoint) => `step ${p.step}\n${p.run}: ${p.value.toFixed(4)}`,
          }),
        ),
      ],
    };
  }, [view, title]);
  return (
    <figure class="chart" data-chart={`compare-${view.metric}`}>
      <figcaption>{title}</figcaption>
      <PlotFigure options={options} testId={`compare-${view.metric}`} />
    </figure>
  );
}
