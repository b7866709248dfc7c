import type { StepMetrics } from '../api/types.js';

/** One line of a step chart. */
export interface CurveSeries {
  label: string;
  value: (row: StepMetrics) => number | null;
  /** A secondary line (another source or definition of the same quantity). */
  dashed?: boolean;
}

/** One chart of the run page's small multiples: a quantity over steps, one or more lines. */
export interface CurveChart {
  id: string;
  title: string;
  series: readonly CurveSeries[];
  /** Fixed y domain for shares; others fit the data. */
  domain?: readonly [number, number];
  /** Digits in tooltips and tables. */
  digits: number;
}

/**
 * The seed's figure (reward, Brier, ECE, accuracy) plus parse rate and completion length, with
 * the definitions of docs/metrics.md. `reward` is the trainer's (the environment's, penalty
 * included); 1 − Brier is the reward without the length penalty, so the gap is the penalty.
 */
export const STEP_CHARTS: readonly CurveChart[] = [
  {
    id: 'reward',
    title: 'Reward',
    digits: 4,
    series: [
      { label: 'trainer reward', value: (r) => r.reward },
      { label: '1 − Brier', value: (r) => 1 - r.brier },
      { label: 'prime-rl logged', value: (r) => r.orchestrator_reward, dashed: true },
    ],
  },
  { id: 'brier', title: 'Brier score', digits: 4, series: [{ label: 'Brier', value: (r) => r.brier }] },
  {
    id: 'ece',
    title: 'ECE (10 bins)',
    digits: 4,
    series: [
      { label: 'ECE, P(YES)', value: (r) => r.ece },
      { label: 'ECE, top label', value: (r) => r.ece_top_label, dashed: true },
    ],
  },
  {
    id: 'accuracy',
    title: 'Accuracy',
    digits: 4,
    domain: [0, 1],
    series: [{ label: 'accuracy', value: (r) => r.accuracy }],
  },
  {
    id: 'parse_rate',
    title: 'Parse rate',
    digits: 4,
    domain: [0, 1],
    series: [{ label: 'parse rate', value: (r) => r.parse_rate }],
  },
  {
    id: 'length',
    title: 'Mean completion length (tokens)',
    digits: 1,
    series: [
      { label: 'characters / 4', value: (r) => r.mean_length },
      { label: 'prime-rl tokens / sample', value: (r) => r.orchestrator_seq_len, dashed: true },
    ],
  },
];

/** A chart's data in long form (one row per step and line), unknown values left out. */
export interface CurvePoint {
  step: number;
  series: string;
  value: number;
}

export function curvePoints(rows: readonly StepMetrics[], chart: CurveChart): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const series of chart.series) {
    for (const row of rows) {
      const value = series.value(row);
      if (value !== null && Number.isFinite(value))
        points.push({ step: row.step, series: series.label, value });
    }
  }
  return points;
}

/** The lines of a chart that have at least one value. */
export function presentSeries(points: readonly CurvePoint[], chart: CurveChart): CurveSeries[] {
  const present = new Set(points.map((p) => p.series));
  return chart.series.filter((s) => present.has(s.label));
}

/** Steps where the trainer reward fell well below its recent best: a collapse to look at. */
export interface RewardDip {
  from: number;
  to: number;
  /** The lowest reward in the dip, and its step. */
  low: number;
  lowStep: number;
}

/** How far below the best of the previous steps the reward must fall to count as a dip. */
export const DIP_DROP = 0.15;
/** How many previous steps the best is taken over. */
export const DIP_WINDOW = 5;

/**
 * Runs of consecutive steps whose reward is more than DIP_DROP below the best reward of the
 * DIP_WINDOW steps before each: the seed's collapse (steps 10–14: 0.66, 0.37, 0.27, 0.45, 0.66
 * after 0.87) is one.
 */
export function rewardDips(rows: readonly StepMetrics[]): RewardDip[] {
  const dips: RewardDip[] = [];
  const recent: number[] = [];
  let current: RewardDip | undefined;
  let previousStep: number | undefined;
  for (const row of rows) {
    const reward = row.reward;
    if (reward === null) continue;
    const best = recent.length > 0 ? Math.max(...recent) : undefined;
    const dipped = best !== undefined && reward < best - DIP_DROP;
    if (dipped && current && previousStep === row.step - 1) {
      current.to = row.step;
      if (reward < current.low) {
        current.low = reward;
        current.lowStep = row.step;
      }
    } else if (dipped) {
      current = { from: row.step, to: row.step, low: reward, lowStep: row.step };
      dips.push(current);
    } else {
      current = undefined;
    }
    previousStep = row.step;
    recent.push(reward);
    if (recent.length > DIP_WINDOW) recent.shift();
  }
  return dips;
}

/** A sentence describing a chart for screen readers: first, last, lowest and highest value. */
export function describeCurve(points: readonly CurvePoint[], chart: CurveChart): string {
  const parts: string[] = [];
  for (const series of chart.series) {
    const own = points.filter((p) => p.series === series.label);
    const first = own[0];
    const last = own.at(-1);
    if (!first || !last) continue;
    const low = own.reduce((a, b) => (b.value < a.value ? b : a));
    const high = own.reduce((a, b) => (b.value > a.value ? b : a));
    const f = (p: CurvePoint): string => `${p.value.toFixed(chart.digits)} at step ${p.step}`;
    parts.push(`${series.label}: from ${f(first)} to ${f(last)}, lowest ${f(low)}, highest ${f(high)}`);
  }
  return parts.length === 0 ? `${chart.title}: no data yet.` : `${chart.title}. ${parts.join('. ')}.`;
}
