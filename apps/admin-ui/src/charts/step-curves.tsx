import * as Plot from '@observablehq/plot';
import { useMemo } from 'preact/hooks';

import type { StepMetrics } from '../api/types.js';
import { DIP_FILL, SELECTED_STROKE, SERIES_COLORS } from './palette.js';
import { PlotFigure, type PointerValue } from './plot-figure.js';
import {
  curvePoints,
  describeCurve,
  presentSeries,
  STEP_CHARTS,
  type CurveChart,
  type CurveSeries,
  type RewardDip,
} from './step-charts.js';

/** Dots on every step while there are few enough to see one by one. */
const DOTS_UP_TO_STEPS = 150;

interface StepCurvesProps {
  steps: readonly StepMetrics[];
  dips: readonly RewardDip[];
  selectedStep: number | undefined;
  onSelectStep: (step: number) => void;
}

/** A tooltip's text: the step, then each line's value there. */
function stepTitle(row: StepMetrics, series: readonly CurveSeries[], digits: number): string {
  const lines = series.map((s) => {
    const value = s.value(row);
    return `${s.label}: ${value === null ? '–' : value.toFixed(digits)}`;
  });
  return [`step ${row.step}`, ...lines].join('\n');
}

function pickedStep(value: PointerValue): number | undefined {
  const step = (value as { step?: unknown } | null | undefined)?.step;
  return typeof step === 'number' ? step : undefined;
}

function chartOptions(
  chart: CurveChart,
  steps: readonly StepMetrics[],
  dips: readonly RewardDip[],
  selectedStep: number | undefined,
): { options: Plot.PlotOptions; empty: boolean } {
  const points = curvePoints(steps, chart);
  const series = presentSeries(points, chart);
  const labels = series.map((s) => s.label);
  const first = steps[0]?.step ?? 0;
  const last = steps.at(-1)?.step ?? 0;
  const marks: Plot.Markish[] = [
    Plot.rect(dips, {
      x1: (d: RewardDip) => d.from - 0.5,
      x2: (d: RewardDip) => d.to + 0.5,
      fill: DIP_FILL,
      fillOpacity: 0.12,
    }),
    Plot.ruleY(chart.domain ? [chart.domain[0]] : []),
  ];
  for (const s of series) {
    const own = points.filter((p) => p.series === s.label);
    marks.push(
      Plot.lineY(own, {
        x: 'step',
        y: 'value',
        stroke: 'series',
        strokeWidth: s.dashed ? 1.2 : 1.8,
        strokeDasharray: s.dashed ? '4,3' : undefined,
      }),
    );
    if (!s.dashed && steps.length <= DOTS_UP_TO_STEPS) {
      marks.push(Plot.dot(own, { x: 'step', y: 'value', fill: 'series', r: 2 }));
    }
  }
  if (selectedStep !== undefined)
    marks.push(Plot.ruleX([selectedStep], { stroke: SELECTED_STROKE, strokeOpacity: 0.6 }));
  // One tooltip per step with every line's value (pointerX alone would pick one line's point).
  const primary = series[0];
  if (primary) {
    const tipRows = steps.filter((row) => primary.value(row) !== null);
    marks.push(
      Plot.tip(
        tipRows,
        Plot.pointerX({
          x: 'step',
          y: (row: StepMetrics) => primary.value(row),
          title: (row: StepMetrics) => stepTitle(row, series, chart.digits),
        }),
      ),
    );
  }
  return {
    empty: points.length === 0,
    options: {
      height: 190,
      marginLeft: 46,
      marginRight: 12,
      ariaLabel: `${chart.title} over training steps`,
      ariaDescription: describeCurve(points, chart),
      x: { label: 'step', domain: [first, Math.max(last, first + 1)], tickFormat: 'd' },
      y: { grid: true, nice: true, label: null, ...(chart.domain ? { domain: [...chart.domain] } : {}) },
      color: {
        domain: chart.series.map((s) => s.label),
        range: chart.series.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length]!),
        // A legend whenever a line is not the chart's main one (e.g. only prime-rl's token count).
        legend: labels.length > 1 || labels[0] !== chart.series[0]?.label,
      },
      marks,
    },
  };
}

/** One chart: the data's lines, the dips shaded, the selected step ruled; a click selects a step. */
function StepChart({
  chart,
  steps,
  dips,
  selectedStep,
  onSelectStep,
}: StepCurvesProps & { chart: CurveChart }) {
  const { options, empty } = useMemo(
    () => chartOptions(chart, steps, dips, selectedStep),
    [chart, steps, dips, selectedStep],
  );
  return (
    <figure class="chart" data-chart={chart.id}>
      <figcaption>{chart.title}</figcaption>
      {empty ? (
        <p class="muted">No values for this run.</p>
      ) : (
        <PlotFigure
          options={options}
          testId={`chart-${chart.id}`}
          onPick={(value) => {
            const step = pickedStep(value);
            if (step !== undefined) onSelectStep(step);
          }}
        />
      )}
    </figure>
  );
}

/** The run page's step charts (small multiples, one per quantity). */
export function StepCurves(props: StepCurvesProps) {
  return (
    <div class="chart-grid">
      {STEP_CHARTS.map((chart) => (
        <StepChart key={chart.id} chart={chart} {...props} />
      ))}
    </div>
  );
}
